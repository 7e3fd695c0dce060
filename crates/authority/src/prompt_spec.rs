//! Prompts written by hand (JSON or TOML): `{ "type": …, "content": … }`.
//!
//! `type` is the short name (`inquiry`, `appointment_offer`,
//! `document_request`, `choice`, `notice`) or the full event type. The
//! `content` is the event content without the fallback: `body` and `m.text`
//! are generated (German) when sending. Everything is validated by the
//! protocol crate before anything leaves the machine.

use g2c_protocol::fallback::FallbackText as _;
use g2c_protocol::prompt::Prompt;
use g2c_protocol::{G2cEvent, G2cEventType, Language, Validate as _, parse_event};
use serde::{Deserialize, Serialize};

use crate::error::{AuthorityError, Result};

/// A prompt as written in a file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PromptSpec {
    /// Short name or full event type.
    #[serde(rename = "type")]
    pub prompt_type: String,
    /// The content, without `body`.
    pub content: serde_json::Value,
}

impl PromptSpec {
    /// Reads a spec from JSON text.
    pub fn from_json(text: &str) -> Result<Self> {
        Ok(serde_json::from_str(text)?)
    }

    /// The typed, validated prompt with a generated fallback.
    pub fn to_prompt(&self, lang: Language) -> Result<Prompt> {
        prompt_from_json(&self.prompt_type, self.content.clone(), lang)
    }
}

/// Resolves a short name or full type to a prompt event type.
pub fn prompt_type(name: &str) -> Result<G2cEventType> {
    let ty = G2cEventType::from_event_type(name).or_else(|| {
        G2cEventType::ALL
            .iter()
            .copied()
            .find(|t| t.short_name() == name)
    });
    match ty {
        Some(
            t @ (G2cEventType::Inquiry
            | G2cEventType::AppointmentOffer
            | G2cEventType::DocumentRequest
            | G2cEventType::Choice
            | G2cEventType::Notice),
        ) => Ok(t),
        _ => Err(AuthorityError::Spec(format!(
            "{name:?} is no prompt type (inquiry, appointment_offer, document_request, choice, notice)"
        ))),
    }
}

/// Builds a prompt from its type name and content JSON (without fallback),
/// fills the fallback in `lang` and validates it.
pub fn prompt_from_json(
    name: &str,
    mut content: serde_json::Value,
    lang: Language,
) -> Result<Prompt> {
    let ty = prompt_type(name)?;
    let object = content
        .as_object_mut()
        .ok_or_else(|| AuthorityError::Spec(format!("{name}: content must be an object")))?;
    // A placeholder so that the content parses; replaced below.
    object
        .entry("body")
        .or_insert_with(|| serde_json::Value::String("-".into()));
    let G2cEvent::Prompt(mut prompt) = parse_event(ty.as_str(), &content.to_string())? else {
        return Err(AuthorityError::Spec(format!("{name} is no prompt")));
    };
    fill_fallback(&mut prompt, lang);
    validate(&prompt)?;
    Ok(prompt)
}

/// Regenerates the fallback of any prompt.
pub fn fill_fallback(prompt: &mut Prompt, lang: Language) {
    match prompt {
        Prompt::Inquiry(c) => c.fill_fallback(lang),
        Prompt::AppointmentOffer(c) => c.fill_fallback(lang),
        Prompt::DocumentRequest(c) => c.fill_fallback(lang),
        Prompt::Choice(c) => c.fill_fallback(lang),
        Prompt::Notice(c) => c.fill_fallback(lang),
    }
}

/// Validates any prompt.
pub fn validate(prompt: &Prompt) -> Result<()> {
    match prompt {
        Prompt::Inquiry(c) => c.validate(),
        Prompt::AppointmentOffer(c) => c.validate(),
        Prompt::DocumentRequest(c) => c.validate(),
        Prompt::Choice(c) => c.validate(),
        Prompt::Notice(c) => c.validate(),
    }
    .map_err(AuthorityError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choice_from_json_gets_a_fallback() {
        let spec = PromptSpec::from_json(
            r#"{"type":"choice","content":{"question":"Wie möchten Sie den Schein erhalten?","mode":"single",
                "options":[{"id":"pickup","label":"Abholung vor Ort"},{"id":"mail","label":"Zusendung per Post"}]}}"#,
        )
        .unwrap();
        let Prompt::Choice(choice) = spec.to_prompt(Language::De).unwrap() else {
            panic!("not a choice")
        };
        assert!(choice.fallback.body.contains("Zusendung per Post"));
    }

    #[test]
    fn invalid_prompts_are_refused_before_sending() {
        let dup = serde_json::json!({"question":"?","mode":"single",
            "options":[{"id":"a","label":"A"},{"id":"a","label":"B"}]});
        assert!(prompt_from_json("choice", dup, Language::De).is_err());
        assert!(prompt_from_json("inquiry_answer", serde_json::json!({}), Language::De).is_err());
        assert!(prompt_from_json("inquiry", serde_json::json!([1]), Language::De).is_err());
    }
}

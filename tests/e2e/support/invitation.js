// Stopgap until the app accepts the authority's invitation itself: the
// citizen's account joins the request room through the client-server API
// (a short-lived second login, logged out again). Membership belongs to the
// account, so the app's own device then sees the room on its next sync.
// Remove once g2c-core joins invitations (see the request-ui report).

async function call(homeserver, path, { method = "GET", token, body } = {}) {
  const response = await fetch(`${homeserver}/_matrix/client/v3${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Waits (long-polling /sync, bounded) for an invitation to the citizen and joins it; returns the room id. */
export async function acceptInvitation(homeserver, citizen, limitMs = 120_000) {
  const login = await call(homeserver, "/login", {
    method: "POST",
    body: {
      type: "m.login.password",
      identifier: { type: "m.id.user", user: citizen.user },
      password: citizen.password,
      initial_device_display_name: "e2e invitation helper",
    },
  });
  const token = login.access_token;
  try {
    const deadline = Date.now() + limitMs;
    let since;
    while (Date.now() < deadline) {
      const query = new URLSearchParams({ timeout: "10000", ...(since ? { since } : {}) });
      const sync = await call(homeserver, `/sync?${query}`, { token });
      since = sync.next_batch;
      const invited = Object.keys(sync.rooms?.invite ?? {});
      if (invited.length > 0) {
        const roomId = invited[0];
        await call(homeserver, `/join/${encodeURIComponent(roomId)}`, { method: "POST", token, body: {} });
        return roomId;
      }
    }
    throw new Error(`no invitation for ${citizen.user_id} within ${limitMs} ms`);
  } finally {
    await call(homeserver, "/logout", { method: "POST", token, body: {} }).catch(() => undefined);
  }
}

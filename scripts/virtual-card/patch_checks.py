"""Checks of the project's patches to vicc that the card tests cannot reach
deterministically, run against the installed OpenPACE and the patched vicc.

Run by scripts/test.sh with the vicc venv's Python (setup.sh installs both).
Exits non-zero on the first check that fails; prints one line per check.

Checks:
  1. patch 0005 (ID_PICC as a fixed-length x-coordinate): the card side of
     PACE (OpenPACE, as vicc runs it) generates ephemeral keys until one has
     an x-coordinate starting with 00, which happens in one PACE out of 256
     and so cannot be forced over PC/SC. OpenPACE's own Comp() of that key is
     one byte short (the reason for the patch); vicc's ID_PICC is the whole
     32-byte x-coordinate, as a terminal computes it.
"""

import sys

import eac
from virtualsmartcard.cards.nPA import nPA_SE

PIN = b"111111"
# id-PACE-ECDH-GM-AES-CBC-CMAC-128 with standard domain parameters 13
# (brainpoolP256r1), as the virtual card's EF.CardAccess names it.
PACE_OID = bytes.fromhex("04007F00070202040202")
FIELD_BYTES = 32


def der(tag, value):
    assert len(value) < 0x80
    return bytes([tag, len(value)]) + value


def card_access():
    info = der(0x06, PACE_OID) + der(0x02, b"\x02") + der(0x02, b"\x0d")
    return der(0x31, der(0x30, info))


def card_context_after_mapping():
    """A card-side (PICC) PACE context up to the mapped generator, the
    terminal side played by a second OpenPACE context."""
    secret = eac.PACE_SEC_new(PIN, eac.PACE_PIN)
    picc, pcd = eac.EAC_CTX_new(), eac.EAC_CTX_new()
    for ctx in (picc, pcd):
        if not eac.EAC_CTX_init_ef_cardaccess(card_access(), ctx):
            raise SystemExit("OpenPACE could not parse the EF.CardAccess")
    if not eac.PACE_STEP2_dec_nonce(pcd, secret, eac.PACE_STEP1_enc_nonce(picc, secret)):
        raise SystemExit("PACE nonce")
    eac.PACE_STEP3A_generate_mapping_data(picc)
    pcd_mapping = eac.PACE_STEP3A_generate_mapping_data(pcd)
    if not eac.PACE_STEP3A_map_generator(picc, pcd_mapping):
        raise SystemExit("PACE mapping")
    eac.EAC_CTX_clear_free(pcd)
    eac.PACE_SEC_clear_free(secret)
    return picc


def check_id_picc_keeps_leading_zero():
    picc = card_context_after_mapping()
    tries = 0
    while True:
        tries += 1
        key = eac.PACE_STEP3B_generate_ephemeral_key(picc)
        if key is None:
            eac.print_ossl_err()
            raise SystemExit("PACE ephemeral key")
        if key[0] == 0x04 and key[1] == 0x00:
            break
    x = key[1 : 1 + FIELD_BYTES]
    openpace = eac.EAC_Comp(picc, eac.EAC_ID_PACE, key)
    if openpace != x.lstrip(b"\x00"):
        raise SystemExit(
            "OpenPACE's Comp() no longer drops leading zeros (%d bytes): "
            "patch 0005 may be unneeded" % len(openpace)
        )
    # The name vicc's class-private helper has from outside the class.
    id_picc = nPA_SE._nPA_SE__fixed_length_comp(openpace, key)
    eac.EAC_CTX_clear_free(picc)
    if id_picc != x:
        raise SystemExit(
            "patch 0005: ID_PICC is %s, the x-coordinate is %s" % (id_picc.hex(), x.hex())
        )
    print(
        "ok: ID_PICC keeps the leading zero of the card's PACE key "
        "(OpenPACE's Comp: %d bytes; key found after %d tries)" % (len(openpace), tries)
    )


def main():
    eac.EAC_init()
    check_id_picc_keeps_leading_zero()
    eac.EAC_cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())

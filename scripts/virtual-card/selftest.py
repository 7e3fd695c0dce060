"""PACE against the virtual nPA over PC/SC, terminal side from OpenPACE.

Run by selftest.sh with the vicc venv's Python (OpenPACE's `eac` bindings,
Debian's pyscard through --system-site-packages). Exits non-zero on the first
thing that is not as expected; prints one line per check and timings.

Checks:
  1. the vpcd reader has a card; SELECT MF + READ BINARY (SFI 0x1C) returns
     EF.CardAccess with a PACE SecurityInfo
  2. PACE with a wrong PIN fails with a status word (no retry counter: the
     emulator answers 6300, not 63Cx)
  3. PACE with the right PIN (111111) succeeds, the card's token verifies
  4. secure messaging: READ BINARY EF.CardAccess through SM decrypts to the
     same bytes as the plain read, and the response MAC verifies
  5. PACE with the CAN (222222) succeeds
"""

import os
import sys
import time

import eac
from smartcard.System import readers

READER_PREFIX = os.environ.get("VCARD_READER", "Virtual PCD 00 00")
PIN = os.environ.get("VCARD_PIN", "111111").encode()
CAN = os.environ.get("VCARD_CAN", "222222").encode()
WRONG_PIN = b"123456"

PACE_OID_PREFIX = bytes.fromhex("04007f00070202 04".replace(" ", ""))
KEY_REF = {eac.PACE_MRZ: 1, eac.PACE_CAN: 2, eac.PACE_PIN: 3, eac.PACE_PUK: 4}


class Fail(Exception):
    pass


# --- a little BER-TLV ----------------------------------------------------------


def tlv_parse(data):
    """[(tag, value)] of one level; tags as ints, lengths short or long form."""
    out = []
    i = 0
    while i < len(data):
        tag = data[i]
        i += 1
        if tag & 0x1F == 0x1F:
            while True:
                tag = (tag << 8) | data[i]
                i += 1
                if not data[i - 1] & 0x80:
                    break
        length = data[i]
        i += 1
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(data[i : i + n], "big")
            i += n
        out.append((tag, data[i : i + length]))
        i += length
    return out


def tlv(tag, value):
    t = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n < 0x100:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82]) + n.to_bytes(2, "big")
    return t + length + value


def pad(data, block=16):
    data = data + b"\x80"
    return data + b"\x00" * (-len(data) % block)


def unpad(data):
    i = data.rindex(b"\x80")
    if data[i + 1 :].strip(b"\x00"):
        raise Fail("bad padding")
    return data[:i]


def pace_oid(ef_cardaccess):
    """The OID of the first PACEInfo in EF.CardAccess (SET OF SecurityInfo)."""
    [(tag, infos)] = tlv_parse(ef_cardaccess)
    if tag != 0x31:
        raise Fail("EF.CardAccess is not a SET")
    for tag, info in tlv_parse(infos):
        fields = tlv_parse(info)
        if tag == 0x30 and fields and fields[0][0] == 0x06:
            oid = fields[0][1]
            # id-PACE-* is 0.4.0.127.0.7.2.2.4.x.y (PACEInfo, not PACEDomainParameterInfo)
            if oid.startswith(PACE_OID_PREFIX) and len(oid) == len(PACE_OID_PREFIX) + 2:
                return oid
    raise Fail("no PACEInfo in EF.CardAccess")


# --- the card ------------------------------------------------------------------


class Card:
    def __init__(self, reader_prefix):
        found = [r for r in readers() if str(r).startswith(reader_prefix)]
        if not found:
            raise Fail("no reader %r among %s" % (reader_prefix, [str(r) for r in readers()]))
        self.conn = found[0].createConnection()
        self.conn.connect()
        self.ctx = None

    def transmit(self, apdu):
        data, sw1, sw2 = self.conn.transmit(list(apdu))
        return bytes(data), (sw1 << 8) | sw2

    def expect(self, what, apdu, want=0x9000):
        data, sw = self.transmit(apdu)
        if sw != want:
            raise Fail("%s: SW %04X, expected %04X" % (what, sw, want))
        return data

    def read_ef_cardaccess(self):
        self.expect("SELECT MF", bytes.fromhex("00A4000C023F00"))
        return self.expect("READ BINARY EF.CardAccess", bytes.fromhex("00B09C0000"))

    def general_authenticate(self, what, last, dos):
        body = tlv(0x7C, dos)
        cla = 0x00 if last else 0x10
        data, sw = self.transmit(bytes([cla, 0x86, 0, 0, len(body)]) + body + b"\x00")
        if sw != 0x9000:
            return None, sw
        [(tag, inner)] = tlv_parse(data)
        if tag != 0x7C:
            raise Fail("%s: answer is not a 7C template" % what)
        return dict(tlv_parse(inner)), sw

    def pace(self, ef_cardaccess, secret, secret_type):
        """Returns (True, 9000) on success or (False, SW) when the card refused."""
        if self.ctx is not None:
            eac.EAC_CTX_clear_free(self.ctx)
            self.ctx = None
        ctx = eac.EAC_CTX_new()
        sec = eac.PACE_SEC_new(secret, secret_type)
        try:
            ok, sw = self._pace(ctx, sec, ef_cardaccess, secret_type)
        finally:
            eac.PACE_SEC_clear_free(sec)
        if ok:
            self.ctx = ctx
        else:
            eac.EAC_CTX_clear_free(ctx)
        return ok, sw

    def _pace(self, ctx, sec, ef_cardaccess, secret_type):
        oid = pace_oid(ef_cardaccess)
        if not eac.EAC_CTX_init_ef_cardaccess(ef_cardaccess, ctx):
            raise Fail("OpenPACE could not parse EF.CardAccess")
        mse = tlv(0x80, oid) + tlv(0x83, bytes([KEY_REF[secret_type]]))
        self.expect("MSE:Set AT", bytes([0x00, 0x22, 0xC1, 0xA4, len(mse)]) + mse)

        r, sw = self.general_authenticate("GA 1", False, b"")
        if r is None:
            return False, sw
        if not eac.PACE_STEP2_dec_nonce(ctx, sec, r[0x80]):
            raise Fail("could not decrypt the nonce")

        mapping = eac.PACE_STEP3A_generate_mapping_data(ctx)
        r, sw = self.general_authenticate("GA 2", False, tlv(0x81, mapping))
        if r is None:
            return False, sw
        if not eac.PACE_STEP3A_map_generator(ctx, r[0x82]):
            raise Fail("mapping failed")

        eph = eac.PACE_STEP3B_generate_ephemeral_key(ctx)
        r, sw = self.general_authenticate("GA 3", False, tlv(0x83, eph))
        if r is None:
            return False, sw
        picc_eph = r[0x84]
        if not eac.PACE_STEP3B_compute_shared_secret(ctx, picc_eph):
            raise Fail("shared secret failed")
        if not eac.PACE_STEP3C_derive_keys(ctx):
            raise Fail("key derivation failed")

        token = eac.PACE_STEP3D_compute_authentication_token(ctx, picc_eph)
        r, sw = self.general_authenticate("GA 4", True, tlv(0x85, token))
        if r is None:
            return False, sw
        if eac.PACE_STEP3D_verify_authentication_token(ctx, r[0x86]) != 1:
            raise Fail("the card's authentication token does not verify")
        if not eac.EAC_CTX_set_encryption_ctx(ctx, eac.EAC_ID_PACE):
            raise Fail("could not switch to the PACE keys")
        return True, sw

    def sm_transmit(self, header, data=b"", le=None):
        """One command through secure messaging (ISO 7816-4, TR-03110 AES)."""
        ctx = self.ctx
        cla, ins, p1, p2 = header
        cla |= 0x0C
        dos = b""
        if data:
            raise Fail("SM with command data is not needed by this self-test")
        eac.EAC_increment_ssc(ctx)
        if le is not None:
            dos += tlv(0x97, bytes([le]))
        mac = eac.EAC_authenticate(ctx, pad(pad(bytes([cla, ins, p1, p2])) + dos))
        dos += tlv(0x8E, mac)
        apdu = bytes([cla, ins, p1, p2, len(dos)]) + dos + b"\x00"
        resp, sw = self.transmit(apdu)
        if sw != 0x9000:
            raise Fail("SM command answered %04X in plain (SM broken?)" % sw)
        eac.EAC_increment_ssc(ctx)  # ... and per response
        objs = tlv_parse(resp)
        plain = b""
        maced = b""
        inner_sw = None
        got_mac = None
        for tag, value in objs:
            if tag == 0x87:
                maced += tlv(tag, value)
                if value[0] != 0x01:
                    raise Fail("87 without padding indicator 01")
                plain = unpad(eac.EAC_decrypt(ctx, value[1:]))
            elif tag == 0x99:
                maced += tlv(tag, value)
                inner_sw = int.from_bytes(value, "big")
            elif tag == 0x8E:
                got_mac = value
        want_mac = eac.EAC_authenticate(ctx, pad(maced))
        if got_mac != want_mac:
            raise Fail("response MAC does not verify")
        return plain, inner_sw


def step(name, fn):
    t = time.monotonic()
    result = fn()
    print("ok   %-62s %6.0f ms" % (name, (time.monotonic() - t) * 1000))
    return result


def main():
    eac.EAC_init()
    card = step("connect to %r" % READER_PREFIX, lambda: Card(READER_PREFIX))
    ef_ca = step("SELECT MF + READ BINARY EF.CardAccess (%s)" % "00 B0 9C 00 00", card.read_ef_cardaccess)
    oid = pace_oid(ef_ca)
    print("     EF.CardAccess: %d bytes, PACE OID %s" % (len(ef_ca), oid.hex()))

    def wrong_pin():
        ok, sw = card.pace(ef_ca, WRONG_PIN, eac.PACE_PIN)
        if ok:
            raise Fail("PACE with a wrong PIN succeeded")
        return sw

    sw = step("PACE with a wrong PIN fails", wrong_pin)
    print("     card answered SW %04X" % sw)

    def right(secret, kind):
        def run():
            ok, sw = card.pace(ef_ca, secret, kind)
            if not ok:
                raise Fail("PACE failed with SW %04X" % sw)

        return run

    step("PACE with PIN %s succeeds" % PIN.decode(), right(PIN, eac.PACE_PIN))

    def sm_read():
        # SELECT MF through SM first, then READ BINARY with the SFI.
        _, sw = card.sm_transmit((0x00, 0xB0, 0x9C, 0x00), le=0)
        data, sw = card.sm_transmit((0x00, 0xB0, 0x9C, 0x00), le=0)
        if sw != 0x9000:
            raise Fail("SM READ BINARY: inner SW %04X" % sw)
        if data != ef_ca:
            raise Fail("SM READ BINARY returned other bytes than the plain read")

    step("secure messaging: READ BINARY EF.CardAccess, MAC verifies", sm_read)
    step("PACE with CAN %s succeeds" % CAN.decode(), right(CAN, eac.PACE_CAN))
    eac.EAC_CTX_clear_free(card.ctx)
    card.ctx = None
    print("selftest: all checks passed")


if __name__ == "__main__":
    try:
        main()
    except Fail as e:
        print("FAIL %s" % e, file=sys.stderr)
        sys.exit(1)

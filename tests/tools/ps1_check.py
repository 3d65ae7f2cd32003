#!/usr/bin/env python3
"""Check the PowerShell script of the client package without PowerShell.

usage: ps1_check.py SCRIPT.ps1 [--expect KEY=VALUE ...]

No PowerShell parser exists on Debian 12, so this checks the script against a
schema of what the package may write: every line is a comment, an assignment
of a single-quoted literal (or Join-Path) to a variable, or a call of one of
the known cmdlets with parameters that cmdlet has (Microsoft's VpnClient and
PKI module references), enumerated values from their documented sets, quoted
strings that close, and variables set before use. --expect checks values:
server=NAME, name=TEXT, auth=MSChapv2|Eap, route=A.B.C.D/N (repeatable),
tunnel=Sstp.  Exit 0 when the script passes, 1 with the reasons otherwise.
"""
import re
import sys

# cmdlet -> {parameter: kind}; kind: 'switch', 'str', 'enum:<a|b>', 'var'
CMDLETS = {
    "Import-Certificate": {"FilePath": "str", "CertStoreLocation": "str"},
    "Join-Path": {"Path": "str", "ChildPath": "str"},
    "New-EapConfiguration": {"Tls": "switch", "UserCertificate": "switch",
                             "VerifyServerIdentity": "switch"},
    "Add-VpnConnection": {
        "Name": "str", "ServerAddress": "str",
        "TunnelType": "enum:Pptp|L2tp|Sstp|Ikev2|Automatic",
        "EncryptionLevel": "enum:NoEncryption|Optional|Required|Maximum|Custom",
        "AuthenticationMethod": "enum:Pap|Chap|MSChapv2|Eap|MachineCertificate",
        "EapConfigXmlStream": "str", "SplitTunneling": "switch",
        "RememberCredential": "switch", "AllUserConnection": "switch",
        "Force": "switch", "PassThru": "switch", "DnsSuffix": "str"},
    "Add-VpnConnectionRoute": {"ConnectionName": "str", "DestinationPrefix": "str",
                               "AllUserConnection": "switch", "PassThru": "switch"},
    "Out-Null": {},
    "Write-Output": {},
}
TOKEN = re.compile(r"""\s*(?:(?P<sq>'(?:[^']|'')*')|(?P<dq>"(?:[^"`]|`.)*")|(?P<pipe>\|)|"""
                   r"""(?P<var>\$[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)|"""
                   r"""(?P<param>-[A-Za-z][A-Za-z0-9]*)|(?P<word>[A-Za-z][A-Za-z0-9-]*))""")


def tokens(text, errs, ln):
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            errs.append(f"line {ln}: cannot read from: {text[pos:]!r}")
            return None
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def unquote(tok):
    return tok[1:-1].replace("''", "'")


def check(path, expect):
    errs, defined, found = [], {"$PSScriptRoot"}, {"route": []}
    for ln, raw in enumerate(open(path, encoding="utf-8"), 1):
        line = raw.rstrip("\n")
        if "\r" in line or "\t" in line:
            errs.append(f"line {ln}: CR or TAB")
        if not line.strip() or line.startswith("#"):
            continue
        m = re.match(r"^(\$[A-Za-z_][A-Za-z0-9_]*) = (.*)$", line)
        if m:
            var, rhs = m.group(1), m.group(2)
            toks = tokens(rhs, errs, ln)
            if toks is None:
                continue
            if len(toks) == 1 and toks[0][0] == "sq":
                defined.add(var)
                if var == "$Name":
                    found["name"] = unquote(toks[0][1])
                if var == "$Server":
                    found["server"] = unquote(toks[0][1])
                continue
            line = rhs  # a cmdlet call whose result is kept
            defined_after = var
        else:
            defined_after = None
        toks = tokens(line, errs, ln)
        if not toks:
            continue
        i = 0
        while i < len(toks):
            kind, val = toks[i]
            if kind != "word" or val not in CMDLETS:
                errs.append(f"line {ln}: unknown command {val!r}")
                break
            params, i = CMDLETS[val], i + 1
            cmd = val
            while i < len(toks) and toks[i][0] != "pipe":
                kind, val = toks[i]
                if cmd == "Write-Output" and kind in ("dq", "sq"):
                    i += 1
                    continue
                if kind != "param" or val[1:] not in params:
                    errs.append(f"line {ln}: {cmd} has no parameter {val!r}")
                    i += 1
                    continue
                p, pkind = val[1:], params[val[1:]]
                i += 1
                if pkind == "switch":
                    found.setdefault(cmd + "." + p, True)
                    continue
                if i >= len(toks) or toks[i][0] in ("param", "pipe"):
                    errs.append(f"line {ln}: {cmd} -{p} needs a value")
                    continue
                vk, vv = toks[i]
                i += 1
                if vk == "var":
                    if vv.split(".")[0] not in defined:
                        errs.append(f"line {ln}: {vv} is used before it is set")
                    value = vv
                elif vk == "sq":
                    value = unquote(vv)
                elif vk == "word" and pkind.startswith("enum:"):
                    value = vv
                else:
                    errs.append(f"line {ln}: {cmd} -{p}: unexpected value {vv!r}")
                    continue
                if pkind.startswith("enum:") and value not in pkind[5:].split("|"):
                    errs.append(f"line {ln}: {cmd} -{p} {value}: not one of {pkind[5:]}")
                if cmd == "Add-VpnConnectionRoute" and p == "DestinationPrefix":
                    found["route"].append(value)
                if cmd == "Add-VpnConnection":
                    found[p] = value
            if i < len(toks) and toks[i][0] == "pipe":
                i += 1
        if defined_after:
            defined.add(defined_after)
    want = {}
    for e in expect:
        k, _, v = e.partition("=")
        want.setdefault(k, []).append(v)
    for k, vs in want.items():
        if k == "route":
            if sorted(vs) != sorted(found["route"]):
                errs.append(f"routes {found['route']} != expected {vs}")
            continue
        got = {"server": found.get("server"), "name": found.get("name"),
               "auth": found.get("AuthenticationMethod"),
               "tunnel": found.get("TunnelType")}.get(k)
        if got != vs[0]:
            errs.append(f"{k}: script has {got!r}, expected {vs[0]!r}")
    if "Add-VpnConnection.SplitTunneling" not in found and found["route"]:
        errs.append("routes without -SplitTunneling")
    return errs


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    expect = []
    args = sys.argv[2:]
    while args:
        if args[0] == "--expect" and len(args) > 1:
            expect.append(args[1])
            args = args[2:]
        else:
            print(f"bad argument {args[0]}", file=sys.stderr)
            return 2
    errs = check(sys.argv[1], expect)
    for e in errs:
        print(e)
    if not errs:
        print("ok")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())

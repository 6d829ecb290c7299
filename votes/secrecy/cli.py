"""``python -m votes trustee …``: a trustee's steps, offline, with files from the trustee page.

    python -m votes trustee register --name NAME KEYFILE --out REGISTRATION.json
    python -m votes trustee keygen KEYFILE CEREMONY.json --out KEY-PART.json
    python -m votes trustee check KEYFILE CEREMONY.json KEY-PARTS.json --out KEY-CHECK.json
    python -m votes trustee still-held KEYFILE CHALLENGE.json --out STILL-HELD.json
    python -m votes trustee mix MIX-TASK.json --out MIX.json
    python -m votes trustee decrypt KEYFILE DECRYPTION-TASK.json --out DECRYPTION.json

The key file is sealed under a passphrase, asked for at the terminal (or read from the
environment variable DEVOLVE_TRUSTEE_PASSPHRASE, for rehearsals and scripts). Nothing here talks
to the server: the trustee downloads each input from the trustee page and uploads each output.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

# The cryptography is imported when a trustee step runs, not when `python -m votes` builds its
# parser: counting a file loads none of it.

PASSPHRASE = "DEVOLVE_TRUSTEE_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret


class Failure(Exception):
    """A trustee command that cannot go on: one line for stderr, exit status 2."""


def add_commands(commands: argparse._SubParsersAction, formatter) -> None:
    trustee = commands.add_parser(
        "trustee",
        formatter_class=formatter,
        help="a trustee's steps: register, keygen, check, still-held, mix, decrypt",
        description="A trustee's steps for a round whose ballots are encrypted. Each reads the "
        "files downloaded from the trustee page and writes the file to upload there; none talks "
        "to the server.",
    )
    steps = trustee.add_subparsers(dest="step", required=True, metavar="STEP")

    def step(name: str, help: str, *, keyfile: bool = True) -> argparse.ArgumentParser:
        parser = steps.add_parser(name, formatter_class=formatter, help=help, description=help)
        if keyfile:
            parser.add_argument("keyfile", metavar="KEYFILE", help="your trustee key file")
        return parser

    register = step("register", "make your key file and the registration to upload")
    register.add_argument("--name", required=True, help="your name, as the officer listed it")
    keygen = step("keygen", "make your part of the round's key")
    keygen.add_argument("ceremony", metavar="CEREMONY.json")
    check = step("check", "check the shares the other trustees sent you, and accept the key")
    check.add_argument("ceremony", metavar="CEREMONY.json")
    check.add_argument("parts", metavar="KEY-PARTS.json")
    held = step("still-held", "prove you still hold your share of a round's key")
    held.add_argument("challenge", metavar="CHALLENGE.json")
    mix = step("mix", "shuffle a pot's ballots, with a proof", keyfile=False)
    mix.add_argument("task", metavar="MIX-TASK.json")
    decrypt = step("decrypt", "decrypt your share of the shuffled ballots, with proofs")
    decrypt.add_argument("task", metavar="DECRYPTION-TASK.json")
    for parser in (register, keygen, check, held, mix, decrypt):
        parser.add_argument("--out", required=True, metavar="FILE", help="the file to upload")
    for parser in (mix, decrypt):
        parser.add_argument(
            "--workers",
            type=int,
            default=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1,
            help="processes to use (default: one per core, %(default)s here)",
        )


def _passphrase(*, new: bool) -> str:
    import getpass

    given = os.environ.get(PASSPHRASE)
    if given:
        return given
    if not sys.stdin.isatty():
        raise Failure(f"no passphrase: run at a terminal, or set {PASSPHRASE}")
    first = getpass.getpass("Key file passphrase: ")
    if new and getpass.getpass("The same passphrase again: ") != first:
        raise Failure("the two passphrases differ; nothing was written")
    return first


def _read(path: str) -> Any:
    import json
    from pathlib import Path

    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise Failure(f"{path}: cannot open: {error.strerror or error}") from None
    except ValueError as error:
        raise Failure(f"{path}: not JSON: {error}") from None


def _write(path: str, document: Any) -> None:
    import json
    from pathlib import Path

    target = Path(path)
    if target.exists():
        raise Failure(f"{path} already exists; nothing was written (choose another --out)")
    target.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def _load_state(path: str) -> tuple[dict[str, Any], str]:
    from votes.secrecy import store

    passphrase = _passphrase(new=False)
    return store.load(path, passphrase), passphrase


def run(args: argparse.Namespace) -> int:
    from votes.secrecy.group import SecrecyError

    try:
        return _run(args)
    except (Failure, SecrecyError) as error:
        print(str(error), file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from votes.secrecy import bundle, keys, store
    from votes.secrecy.decryption import decrypt_share
    from votes.secrecy.group import base, scalar
    from votes.secrecy.shuffle import shuffle

    if args.step == "register":
        if Path(args.keyfile).exists():
            raise Failure(f"{args.keyfile} already exists; a key file is never overwritten")
        if Path(args.out).exists():
            raise Failure(f"{args.out} already exists; nothing was written (choose another --out)")
        state = keys.new_trustee(args.name)
        store.save(args.keyfile, state, _passphrase(new=True))
        registration = {
            "format": "devolve-trustee-registration/v1",
            "name": state["name"],
            "transport_key": keys.transport_key(state),
        }
        _write(args.out, registration)
        print(f"Made {args.keyfile} (keep it, and its passphrase, safe: nobody can recover them).")
        print(f"Upload {args.out} on the trustee page.")
        return 0
    if args.step == "mix":
        context, key, number, inputs = bundle.read_mix_task(_read(args.task), workers=args.workers)
        outputs, proof = shuffle(inputs, key, context, number, workers=args.workers)
        _write(args.out, bundle.mix_result(context, number, outputs, proof))
        print(
            f"Shuffled {len(outputs):,} ballots (mix {number}). "
            f"Upload {args.out} on the trustee page."
        )
        return 0

    if Path(args.out).exists():
        raise Failure(f"{args.out} already exists; nothing was written (choose another --out)")
    state, passphrase = _load_state(args.keyfile)
    if args.step == "keygen":
        ceremony = _read(args.ceremony)
        upload = keys.keygen(state, ceremony)
        # The key file first: an upload whose polynomial the key file lost would be useless.
        store.save(args.keyfile, state, passphrase)
        _write(args.out, upload)
        print(f"Made your part of the key for {ceremony['round']} as trustee {upload['trustee']}.")
        print(f"Upload {args.out} on the trustee page.")
        return 0
    if args.step == "check":
        ceremony = _read(args.ceremony)
        parts = _read(args.parts)
        if not isinstance(parts, list):
            raise Failure(f"{args.parts}: not a list of the trustees' key parts")
        result = keys.check(state, ceremony, parts)
        if "complaint" in result:
            _write(args.out, result)
            complaint = result["complaint"]
            print(f"The share from trustee {complaint['against']} is wrong: {complaint['reason']}.")
            print(f"Upload {args.out}: the key generation will be started again.")
            return 1
        store.save(args.keyfile, state, passphrase)
        _write(args.out, result)
        print(f"Every share checks out. You hold your share of the key for {ceremony['round']}.")
        print(f"Upload {args.out} on the trustee page.")
        return 0
    if args.step == "still-held":
        challenge = _read(args.challenge)
        if (
            not isinstance(challenge, dict)
            or challenge.get("format") != "devolve-still-held-challenge/v1"
        ):
            raise Failure(f"{args.challenge}: not a challenge from the trustee page")
        _write(
            args.out,
            keys.prove_held(state, str(challenge.get("ceremony")), str(challenge.get("challenge"))),
        )
        print(f"You still hold your share. Upload {args.out} on the trustee page.")
        return 0
    # decrypt
    ceremony, context, vectors = bundle.read_decryption_task(_read(args.task), workers=args.workers)
    entry = state["ceremonies"].get(ceremony)
    if not entry or not entry.get("share"):
        raise Failure("this key file holds no share of that round's key")
    secret = scalar(entry["share"], "the key file")
    shares = decrypt_share(vectors, secret, entry["index"], context, workers=args.workers)
    _write(args.out, bundle.decryption_result(ceremony, context, entry["index"], shares))
    print(
        f"Decrypted your share of {len(shares):,} ballots as trustee {entry['index']} "
        f"(verification key {base(secret).hex()[:16]}…). Upload {args.out} on the trustee page."
    )
    return 0

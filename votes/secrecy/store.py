"""A trustee's key file: their secret state, sealed under a passphrase.

Argon2id (libsodium's ``crypto_pwhash``) turns the passphrase and a random salt into the key of
a ``SecretBox`` (XSalsa20-Poly1305) holding the state's JSON. The file is written with mode 0600,
through a temporary file renamed into place, so a crash never leaves half a key file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from nacl import pwhash, secret, utils
from nacl.exceptions import CryptoError

from votes.secrecy.group import SecrecyError

__all__ = ["FORMAT", "STRENGTHS", "load", "save"]

FORMAT = "devolve-trustee-key/v1"
#: libsodium's named Argon2id costs: "moderate" (256 MiB) for real key files, "interactive"
#: (64 MiB) for the demo's rehearsal keys and tests.
STRENGTHS = {
    "moderate": (pwhash.argon2id.OPSLIMIT_MODERATE, pwhash.argon2id.MEMLIMIT_MODERATE),
    "interactive": (pwhash.argon2id.OPSLIMIT_INTERACTIVE, pwhash.argon2id.MEMLIMIT_INTERACTIVE),
}


def _key(passphrase: str, salt: bytes, ops: int, mem: int) -> bytes:
    return pwhash.argon2id.kdf(
        secret.SecretBox.KEY_SIZE, passphrase.encode(), salt, opslimit=ops, memlimit=mem
    )


def save(
    path: str | os.PathLike, state: dict[str, Any], passphrase: str, *, strength: str = "moderate"
) -> None:
    if len(passphrase) < 8:
        raise SecrecyError("the passphrase must be at least 8 characters")
    ops, mem = STRENGTHS[strength]
    salt = utils.random(pwhash.argon2id.SALTBYTES)
    sealed = secret.SecretBox(_key(passphrase, salt, ops, mem)).encrypt(json.dumps(state).encode())
    document = {
        "format": FORMAT,
        "kdf": "argon2id",
        "opslimit": ops,
        "memlimit": mem,
        "salt": salt.hex(),
        "sealed": sealed.hex(),
    }
    target = Path(path)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent or ".", prefix=".trustee-")
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(document, handle, indent=1)
            handle.write("\n")
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def load(path: str | os.PathLike, passphrase: str) -> dict[str, Any]:
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise SecrecyError(f"{path}: not a trustee key file ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SecrecyError(f"{path}: not a trustee key file of this version")
    try:
        ops, mem = int(document["opslimit"]), int(document["memlimit"])
        if (ops, mem) not in STRENGTHS.values():
            raise SecrecyError(f"{path}: unknown key-file strength")
        key = _key(passphrase, bytes.fromhex(document["salt"]), ops, mem)
        plain = secret.SecretBox(key).decrypt(bytes.fromhex(document["sealed"]))
    except CryptoError:
        raise SecrecyError(f"{path}: the passphrase is wrong, or the file was changed") from None
    except SecrecyError:
        raise
    except (KeyError, TypeError, ValueError):
        raise SecrecyError(f"{path}: the key file is damaged") from None
    return json.loads(plain)

"""The files the trustees, the server and the auditors exchange, and the checks on them.

Every file is JSON with a ``format`` naming it and its version. Points are 64 hexadecimal
digits, scalars too (32 bytes, little-endian). A pot's ciphertexts are lists of vectors, a
vector a list of ``[R, S]`` pairs.

- a mix task (``devolve-mix-task/v1``): the context, the public key, the mix's number and its
  inputs; the mix (``devolve-mix/v1``) answers with the outputs and the proof;
- a decryption task (``devolve-decryption-task/v1``): the ceremony, the context and the final
  mix's outputs; the decryption (``devolve-decryption/v1``) answers with one share per ballot;
- :func:`pot_problems` runs steps 2 to 5 of docs/secrecy.md's verification on a pot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from votes.model import Ballot, BallotKind, BallotRules
from votes.secrecy import encoding, parallel
from votes.secrecy.decryption import Share, combine, share_problem
from votes.secrecy.elgamal import Ciphertext, Context, Pair, ballot_proof_ok
from votes.secrecy.group import SecrecyError, point_hex
from votes.secrecy.shuffle import ShuffleProof, shuffle_problem

__all__ = [
    "ciphertext_problems",
    "ciphertexts_from_json",
    "ciphertexts_to_json",
    "context_from_json",
    "context_to_json",
    "decryption_result",
    "decryption_task",
    "decryption_task_from_rows",
    "mix_result",
    "mix_task",
    "mix_task_from_rows",
    "plaintext_problems",
    "pot_problems",
    "read_decryption_result",
    "read_decryption_task",
    "read_mix_result",
    "read_mix_task",
    "same_ballot",
    "vectors_from_json",
    "vectors_to_json",
]

Vector = tuple[Pair, ...]


def context_to_json(context: Context) -> dict[str, str]:
    return {"manifest_hash": context.manifest_hash, "pot": str(context.pot)}


def context_from_json(data: Any, where: str) -> Context:
    if not isinstance(data, Mapping):
        raise SecrecyError(f"{where}: no context (manifest hash and pot)")
    manifest_hash, pot = data.get("manifest_hash"), data.get("pot")
    if not isinstance(manifest_hash, str) or len(manifest_hash) != 64 or not isinstance(pot, str):
        raise SecrecyError(f"{where}: the context needs a manifest hash and a pot")
    return Context(manifest_hash, pot)


def vectors_to_json(vectors: Sequence[Vector]) -> list[list[list[str]]]:
    return [[[r.hex(), s.hex()] for r, s in vector] for vector in vectors]


def _parse(task: tuple) -> tuple[list[Vector], str | None]:
    rows, first, width, where = task
    out = []
    for offset, row in enumerate(rows):
        here = f"{where} {first + offset + 1}"
        if not isinstance(row, list) or len(row) != width:
            return out, f"{here}: a ciphertext of this pot is {width} pairs"
        try:
            vector = []
            for pair in row:
                if not isinstance(pair, list) or len(pair) != 2:
                    return out, f"{here}: a pair is two points"
                vector.append((point_hex(pair[0], here), point_hex(pair[1], here)))
        except SecrecyError as error:
            return out, str(error)
        out.append(tuple(vector))
    return out, None


def vectors_from_json(
    rows: Any, where: str, *, width: int | None = None, workers: int = 1
) -> list[Vector]:
    """Parses and checks a list of vectors: every point a group element, every vector as wide
    as the first (or as ``width``)."""
    if not isinstance(rows, list):
        raise SecrecyError(f"{where}: not a list of ciphertexts")
    if not rows:
        return []
    if width is None:
        width = len(rows[0]) if isinstance(rows[0], list) and rows[0] else 1
    tasks = [(rows[a:b], a, width, where) for a, b in parallel.slices(len(rows), workers)]
    vectors: list[Vector] = []
    for part, problem in parallel.run(_parse, tasks, workers):
        if problem:
            raise SecrecyError(problem)
        vectors.extend(part)
    return vectors


def _parse_ciphertexts(task: tuple) -> tuple[list[tuple[str, Ciphertext]], str | None]:
    rows, first, width, where = task
    out = []
    for offset, row in enumerate(rows):
        here = f"{where} {first + offset + 1}"
        if not isinstance(row, Mapping) or not isinstance(row.get("ballot"), str):
            return out, f"{here}: a ciphertext needs its ballot id"
        try:
            out.append((row["ballot"], Ciphertext.from_json(row, here, width=width)))
        except SecrecyError as error:
            return out, str(error)
    return out, None


def ciphertexts_to_json(ciphertexts: Sequence[tuple[str, Ciphertext]]) -> list[dict[str, Any]]:
    """The pot's ciphertexts in log order, each with its ballot id (secrecy/…/ciphertexts)."""
    return [{"ballot": ballot_id, **c.to_json()} for ballot_id, c in ciphertexts]


def ciphertexts_from_json(
    rows: Any, where: str, *, width: int, workers: int = 1
) -> list[tuple[str, Ciphertext]]:
    """Parses and checks the ciphertexts: ids, width, every point a group element."""
    if not isinstance(rows, list):
        raise SecrecyError(f"{where}: not a list of ciphertexts")
    tasks = [(rows[a:b], a, width, where) for a, b in parallel.slices(len(rows), workers)]
    out: list[tuple[str, Ciphertext]] = []
    for part, problem in parallel.run(_parse_ciphertexts, tasks, workers):
        if problem:
            raise SecrecyError(problem)
        out.extend(part)
    return out


def _expect(document: Any, kind: str, where: str) -> Mapping[str, Any]:
    if not isinstance(document, Mapping) or document.get("format") != kind:
        raise SecrecyError(
            f"{where}: not a {kind.split('/')[0].removeprefix('devolve-')} file of this version"
        )
    return document


def mix_task(context: Context, key: bytes, number: int, inputs: Sequence[Vector]) -> dict[str, Any]:
    return mix_task_from_rows(context, key, number, vectors_to_json(inputs))


def mix_task_from_rows(context: Context, key: bytes, number: int, rows: list) -> dict[str, Any]:
    """:func:`mix_task` from inputs already written as JSON rows (a stored mix's outputs)."""
    return {
        "format": "devolve-mix-task/v1",
        "context": context_to_json(context),
        "public_key": key.hex(),
        "number": number,
        "inputs": rows,
    }


def read_mix_task(document: Any, *, workers: int = 1) -> tuple[Context, bytes, int, list[Vector]]:
    doc = _expect(document, "devolve-mix-task/v1", "the mix task")
    number = doc.get("number")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise SecrecyError("the mix task: the mix's number must be a whole number from 1")
    return (
        context_from_json(doc.get("context"), "the mix task"),
        point_hex(doc.get("public_key"), "the mix task's public key"),
        number,
        vectors_from_json(doc.get("inputs"), "the mix task, ballot", workers=workers),
    )


def mix_result(
    context: Context, number: int, outputs: Sequence[Vector], proof: ShuffleProof
) -> dict[str, Any]:
    return {
        "format": "devolve-mix/v1",
        "context": context_to_json(context),
        "number": number,
        "outputs": vectors_to_json(outputs),
        "proof": proof.to_json(),
    }


def read_mix_result(
    document: Any, context: Context, number: int, *, width: int | None = None, workers: int = 1
) -> tuple[list[Vector], ShuffleProof]:
    doc = _expect(document, "devolve-mix/v1", f"mix {number}")
    if context_from_json(doc.get("context"), f"mix {number}") != context:
        raise SecrecyError(f"mix {number} is for another round or pot")
    if isinstance(doc.get("number"), bool) or doc.get("number") != number:
        raise SecrecyError(f"mix {number}: the file is mix {doc.get('number')}")
    outputs = vectors_from_json(
        doc.get("outputs"), f"mix {number}, output", width=width, workers=workers
    )
    return outputs, ShuffleProof.from_json(doc.get("proof"), f"mix {number}'s proof")


def decryption_task(ceremony: str, context: Context, vectors: Sequence[Vector]) -> dict[str, Any]:
    return decryption_task_from_rows(ceremony, context, vectors_to_json(vectors))


def decryption_task_from_rows(ceremony: str, context: Context, rows: list) -> dict[str, Any]:
    """:func:`decryption_task` from vectors already written as JSON rows (a stored mix's
    outputs)."""
    return {
        "format": "devolve-decryption-task/v1",
        "ceremony": ceremony,
        "context": context_to_json(context),
        "vectors": rows,
    }


def read_decryption_task(document: Any, *, workers: int = 1) -> tuple[str, Context, list[Vector]]:
    doc = _expect(document, "devolve-decryption-task/v1", "the decryption task")
    ceremony = doc.get("ceremony")
    if not isinstance(ceremony, str) or len(ceremony) != 64:
        raise SecrecyError("the decryption task names no key ceremony")
    return (
        ceremony,
        context_from_json(doc.get("context"), "the decryption task"),
        vectors_from_json(doc.get("vectors"), "the decryption task, ballot", workers=workers),
    )


def decryption_result(
    ceremony: str, context: Context, trustee: int, shares: Sequence[Share]
) -> dict[str, Any]:
    return {
        "format": "devolve-decryption/v1",
        "ceremony": ceremony,
        "context": context_to_json(context),
        "trustee": trustee,
        "shares": [s.to_json() for s in shares],
    }


def read_decryption_result(
    document: Any, ceremony: str, context: Context, *, width: int
) -> tuple[int, list[Share]]:
    doc = _expect(document, "devolve-decryption/v1", "the decryption")
    if (
        doc.get("ceremony") != ceremony
        or context_from_json(doc.get("context"), "the decryption") != context
    ):
        raise SecrecyError("the decryption is for another round or pot")
    trustee = doc.get("trustee")
    shares = doc.get("shares")
    if not isinstance(trustee, int) or isinstance(trustee, bool) or not isinstance(shares, list):
        raise SecrecyError("the decryption needs its trustee and shares")
    where = f"trustee {trustee}'s decryption, ballot"
    return trustee, [
        Share.from_json(s, f"{where} {i + 1}", width=width) for i, s in enumerate(shares)
    ]


def _ballot_proofs(task: tuple) -> list[str]:
    ciphertexts, first, key, context, width = task
    problems = []
    for offset, (ballot_id, ciphertext) in enumerate(ciphertexts):
        if len(ciphertext.pairs) != width:
            problems.append(
                f"step 2 (the ciphertexts): ballot {ballot_id} is not {width} pairs wide"
            )
        elif not ballot_proof_ok(ciphertext, key, context, ballot_id):
            problems.append(
                f"step 2 (the ciphertexts): ballot {ballot_id} (number {first + offset + 1} in "
                "log order): its proof does not hold for this round, pot and ballot"
            )
    return problems


def same_ballot(rules: BallotRules, a: Ballot, b: Ballot) -> bool:
    """The same ballot, whatever order its choices are listed in where order means nothing
    (approval kinds, cumulative), and with unfilled trailing ranks or zero points left out."""
    if rules.kind is BallotKind.RANKED:
        x, y = list(a.choices), list(b.choices)
        while x and x[-1] == "":
            x.pop()
        while y and y[-1] == "":
            y.pop()
        return x == y and not a.points and not b.points
    if rules.kind is BallotKind.CUMULATIVE:
        if len(a.choices) != len(a.points) or len(b.choices) != len(b.points):
            return False
        x = {c: p for c, p in zip(a.choices, a.points, strict=True) if p}
        y = {c: p for c, p in zip(b.choices, b.points, strict=True) if p}
        return x == y and len(y) == sum(1 for p in b.points if p)
    return (
        set(a.choices) == set(b.choices) and len(set(b.choices)) == len(b.choices) and not b.points
    )


def ciphertext_problems(
    ciphertexts: Sequence[tuple[str, Ciphertext]],
    key: bytes,
    context: Context,
    width: int,
    *,
    workers: int = 1,
) -> list[str]:
    """Step 2's proofs: every ciphertext is ``width`` pairs and its proof of randomness holds
    for this round, pot and ballot id."""
    tasks = [
        (ciphertexts[a:b], a, key, context, width)
        for a, b in parallel.slices(len(ciphertexts), workers)
    ]
    problems: list[str] = []
    for part in parallel.run(_ballot_proofs, tasks, workers):
        problems.extend(part)
    return problems


def plaintext_problems(
    vectors: Sequence[Vector],
    chosen: Mapping[int, Sequence[Share]],
    ballots: Sequence[Ballot],
    rules: BallotRules,
    project_ids: Sequence[str],
    *,
    workers: int = 1,
) -> list[str]:
    """Step 5: the last mix's ``vectors``, decrypted with t trustees' checked shares
    (``chosen``), decode to exactly ``ballots``, position by position."""
    plain = combine(vectors, chosen, workers=workers)
    if len(ballots) != len(plain):
        return [
            f"step 5 (the plaintexts): {len(plain)} ballots decrypt, "
            f"the ballots file has {len(ballots)}"
        ]
    problems: list[str] = []
    for position, (points, ballot) in enumerate(zip(plain, ballots, strict=True), start=1):
        try:
            decoded = encoding.from_points(points, rules, project_ids)
        except SecrecyError as error:
            problems.append(f"step 5 (the plaintexts): ballot {position} of the last mix: {error}")
            continue
        if not same_ballot(rules, decoded, ballot):
            problems.append(
                f"step 5 (the plaintexts): ballot {position} of the last mix decrypts to "
                "another ballot than the ballots file holds"
            )
    return problems


def pot_problems(
    *,
    key: bytes,
    verification_keys: Mapping[int, bytes],
    threshold: int,
    context: Context,
    ciphertexts: Sequence[tuple[str, Ciphertext]],
    mixes: Sequence[tuple[Sequence[Vector], ShuffleProof]],
    decryptions: Mapping[int, Sequence[Share]],
    ballots: Sequence[Ballot],
    rules: BallotRules,
    project_ids: Sequence[str],
    workers: int = 1,
) -> list[str]:
    """Steps 2 to 5 for one pot; each problem names its step. Empty when all hold.

    ``ciphertexts``: the counted ballots' ids and ciphertexts, in log order (step 2's link to
    the log is the caller's: see ``votes.verify``, which runs the same steps reading one mix
    and one decryption at a time). ``ballots``: the plaintexts, in the final mix's order."""
    width = encoding.width(rules, len(project_ids))
    problems = ciphertext_problems(ciphertexts, key, context, width, workers=workers)
    if problems:
        return problems
    current: Sequence[Vector] = [c.pairs for _, c in ciphertexts]
    if not current:
        if ballots or mixes:
            problems.append("step 5 (the plaintexts): the pot has no ciphertexts but has ballots")
        return problems
    if not mixes:
        return ["step 3 (the mixes): the pot's ciphertexts were never shuffled"]
    for number, (outputs, proof) in enumerate(mixes, start=1):
        problem = shuffle_problem(current, outputs, proof, key, context, number, workers=workers)
        if problem:
            return [f"step 3 (mix {number}): {problem}"]
        current = outputs
    for trustee, shares in sorted(decryptions.items()):
        if trustee not in verification_keys:
            return [f"step 4 (the decryptions): trustee {trustee} has no verification key"]
        problem = share_problem(
            current, shares, verification_keys[trustee], trustee, context, workers=workers
        )
        if problem:
            return [f"step 4 (trustee {trustee}'s decryption): {problem}"]
    if len(decryptions) < threshold:
        return [
            f"step 4 (the decryptions): {len(decryptions)} trustees decrypted; "
            f"{threshold} are needed"
        ]
    chosen = dict(sorted(decryptions.items())[:threshold])
    return plaintext_problems(current, chosen, ballots, rules, project_ids, workers=workers)

"""Ballots secret from the database: threshold ElGamal on edwards25519, a verifiable shuffle,
and proven decryption by the trustees. The design, with references, is docs/secrecy.md.

- :mod:`votes.secrecy.group`: the group, its checks, Fiat–Shamir transcripts;
- :mod:`votes.secrecy.encoding`: a ballot as a fixed-width vector of points;
- :mod:`votes.secrecy.elgamal`: encryption and the proof binding a ballot to its place;
- :mod:`votes.secrecy.keys`: the trustees' key generation, without a dealer;
- :mod:`votes.secrecy.shuffle`: the mix and its Terelius–Wikström proof;
- :mod:`votes.secrecy.decryption`: partial decryptions with Chaum–Pedersen proofs;
- :mod:`votes.secrecy.store`: a trustee's passphrase-sealed key file;
- :mod:`votes.secrecy.bundle`: the files trustees, server and auditors exchange, and the
  checks on a pot;
- :mod:`votes.secrecy.cli`: ``python -m votes trustee …``.

Import the modules themselves: the package imports nothing, so ``python -m votes tally`` never
loads libsodium.
"""

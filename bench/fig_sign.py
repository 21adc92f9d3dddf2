"""Figure 4: the signature alone, the floor every client pays per authenticated call.

RSA-2048 PSS (Kalshi's default) and Ed25519, each as the raw ``sign`` of the message and as
our ``Credentials.signature_headers`` (message, signature, base64, the three headers), next to
the official SDK's ``KalshiAuth.create_auth_headers``. Prints one JSON object.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _timing import interleave, summary
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from kalshi_core.wire.credentials import Credentials

PATH = "/trade-api/v2/portfolio/balance"
MESSAGE = f"1700000000000GET{PATH}".encode()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 9
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    rsa_creds = Credentials("k", rsa_key)
    ed_creds = Credentials("k", ed_key)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    from kalshi_python_sync.auth import KalshiAuth

    official = KalshiAuth("k", pem.decode())

    def repeat(fn: Any) -> Any:
        def run() -> None:
            for _ in range(n):
                fn()

        return run

    contenders = {
        "RSA-2048 PSS, raw sign": repeat(lambda: rsa_key.sign(MESSAGE, pss, hashes.SHA256())),
        "RSA-2048 PSS, our signature_headers": repeat(
            lambda: rsa_creds.signature_headers("GET", PATH, 1700000000000)
        ),
        "RSA-2048 PSS, official create_auth_headers": repeat(
            lambda: official.create_auth_headers("GET", PATH)
        ),
        "Ed25519, raw sign": repeat(lambda: ed_key.sign(MESSAGE)),
        "Ed25519, our signature_headers": repeat(
            lambda: ed_creds.signature_headers("GET", PATH, 1700000000000)
        ),
    }
    samples = interleave(contenders, rounds=rounds)
    out: dict[str, Any] = {
        "signatures_per_round": n,
        "rounds": rounds,
        "results": {
            name: {
                "us_per_signature": summary([c / n * 1e6 for c in s.cpu]),
                "signatures_per_s": summary([n / c for c in s.cpu]),
            }
            for name, s in samples.items()
        },
    }
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()

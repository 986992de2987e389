"""Content Credentials (C2PA): the signing identity, manifests, signing and reading.

- `identity`: the local signing certificate (made on first use) or the user's own.
- `manifest`: what a take's or a timeline's manifest says (actions, recipe, ingredients).
- `signing`: sign a finished file, streaming, read back and verified before it lands.
- `reader`: `read_credentials(path) -> CredentialsReport`, `recipe_from_file(path)`.
- `importing`: record an imported file's credentials (and recipe) in the library.
"""

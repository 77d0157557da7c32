"""Differential test: random namespace-heavy documents, canonicalized by Sesame and by
lxml, must be byte-identical (inclusive and exclusive, with and without comments, with a
random PrefixList). The generator is seeded, so a failure is reproducible by its id."""

import io
import random

import pytest
from lxml import etree

from conftest import sesame

URIS = ["http://a.example/", "http://b.example/", "urn:c", "http://a.example/x", ""]
PREFIXES = ["a", "b", "p", "xs", "ns1"]
NAMES = ["r", "e", "Item", "value", "x-y", "k.1"]
TEXTS = ["", "t", " spaced  text ", "a&amp;b", "&lt;tag&gt;", "quote\"s", "tab\there", "cr&#xD;", "é ∑ 😀", "]]&gt;"]
N_DOCS = 300


def gen(rng, depth=0):
    """One element as text, with random declarations, attributes and children."""
    decls = {}
    for _ in range(rng.randrange(3)):
        p = rng.choice(PREFIXES + [None])
        uri = rng.choice(URIS)
        if p is not None and uri == "":
            continue  # prefix undeclaration is XML 1.1 only
        decls[p] = uri
    in_scope = list(decls)
    prefix = rng.choice([None, *[p for p in in_scope if p]])
    name = (f"{prefix}:" if prefix else "") + rng.choice(NAMES)
    attrs = {}
    for _ in range(rng.randrange(4)):
        ap = rng.choice([None, *[p for p in in_scope if p]])
        an = (f"{ap}:" if ap else "") + rng.choice(["id", "type", "n", "Z", "a"])
        if an in attrs:
            continue
        attrs[an] = rng.choice(["1", "xs:string", "a b", "&quot;q&quot;", "x&#9;y&#10;z", "&lt;&lt;>"])
    parts = ["<", name]
    for p, uri in decls.items():
        parts.append(f' xmlns{":" + p if p else ""}="{uri}"')
    for an, av in attrs.items():
        parts.append(f' {an}="{av}"')
    children = []
    if depth < 5:
        for _ in range(rng.randrange(4)):
            kind = rng.random()
            if kind < 0.55:
                children.append(gen(rng, depth + 1))
            elif kind < 0.8:
                children.append(rng.choice(TEXTS))
            elif kind < 0.9:
                children.append("<!-- c -->")
            else:
                children.append("<?pi data?>")
    if not children and rng.random() < 0.5:
        parts.append("/>")
        return "".join(parts)
    parts.append(">")
    parts.extend(children)
    parts.append(f"</{name}>")
    return "".join(parts)


def documents():
    rng = random.Random(20240514)
    out = []
    while len(out) < N_DOCS:
        text = rng.choice(["", "<!--pre-->\n", "<?top?>"]) + gen(rng) + rng.choice(["", "\n<!--post-->"])
        try:
            etree.fromstring(text.encode())
        except etree.XMLSyntaxError:
            continue  # e.g. an unbound prefix in an attribute of a sibling scope
        prefixes = rng.sample(PREFIXES, rng.randrange(3))
        out.append(pytest.param(text, prefixes, id=f"doc{len(out)}"))
    return out


@pytest.mark.parametrize("text,prefixes", documents())
def test_random_documents_match_lxml(text, prefixes):
    # The whole document (etree.fromstring would drop the comments and PIs around the root).
    tree = etree.parse(io.BytesIO(text.encode()))
    for exclusive in (False, True):
        for comments in (False, True):
            pl = prefixes if exclusive else []
            args = ["saml", "c14n"] + (["--exclusive"] if exclusive else []) + (["--with-comments"] if comments else [])
            if pl:
                args += ["--prefixes", " ".join(pl)]
            p = sesame(*args, data=text.encode())
            assert p.returncode == 0, p.stderr.decode()
            want = etree.tostring(tree, method="c14n", exclusive=exclusive, with_comments=comments,
                                  inclusive_ns_prefixes=pl or None)
            assert p.stdout == want, f"exclusive={exclusive} comments={comments} prefixes={pl}\n{text}"

"""Convert Rasa 1.x/2.x markdown NLU data to Rasa 3 YAML (Rasa 3 no longer reads markdown).

    python -m rasa_electra.cli.md2yaml data/nlu.md -o data/nlu.yml

Intents, entity annotations (with synonym values, roles and groups), synonym, regex and lookup
sections carry over; the YAML is read back with Rasa's loader and must match exactly.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rasa_electra.data.annotation import UnrepresentableError
from rasa_electra.data.rasa_nlu import (
    NluFormatError,
    in_file_order,
    read_rasa_data,
    read_rasa_markdown,
    write_rasa_yaml,
)
from rasa_electra.data.spans import same_annotation


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("markdown", type=Path)
    parser.add_argument("-o", "--out", type=Path, help="output .yml (default: beside the input)")
    args = parser.parse_args(argv)
    out = args.out or args.markdown.with_suffix(".yml")
    try:
        data = read_rasa_markdown(args.markdown)
        write_rasa_yaml(data, out)
    except (NluFormatError, UnrepresentableError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    written, read = in_file_order(data.examples), read_rasa_data(out)
    if len(read) != len(written):  # Rasa drops exact duplicates
        print(f"error: wrote {len(written)} examples, Rasa reads {len(read)}", file=sys.stderr)
        return 1
    mismatches = same_annotation(written, read)
    for index in mismatches:
        print(f"mismatch: {written[index].source}", file=sys.stderr)
    entities = sum(len(e.spans) for e in written)
    print(
        f"wrote {out}: {len(written)} examples, {entities} entities, "
        f"{len(data.sections)} other sections; {len(mismatches)} round-trip mismatches"
    )
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())

"""Times Soda Core 3.5.6's own SodaCL parser (the YAML load, the section walk and the ANTLR
grammar, as `soda scan` runs them) on checks files given as arguments; prints one JSON object
{file: milliseconds per parse}. Used by `cargo bench -p shared --bench sodacl`."""

import json
import logging
import sys
import time

logging.disable(logging.CRITICAL)

from soda.scan import Scan  # noqa: E402


def parse_once(text: str, name: str) -> None:
    scan = Scan()
    scan.set_data_source_name("corpus_duckdb")
    try:
        scan._parse_sodacl_yaml_str(sodacl_yaml_str=text, file_path=name)
    except Exception:  # noqa: BLE001 - Soda Core logs "Could not add SodaCL file" here
        pass


def time_file(path: str) -> float:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    name = path.rsplit("/", 1)[-1]
    # Warm up once (imports, ANTLR caches), then repeat until 0.2 s have passed.
    parse_once(text, name)
    runs = 0
    start = time.perf_counter()
    while True:
        parse_once(text, name)
        runs += 1
        elapsed = time.perf_counter() - start
        if elapsed > 0.2 and runs >= 3:
            return elapsed / runs * 1000.0


print(json.dumps({p.rsplit("/", 1)[-1]: time_file(p) for p in sys.argv[1:]}))

"""Run `pairbot` commands in one fresh interpreter and print each one's exit code, stdout and stderr as JSON.

stdin: {"env": {NAME: VALUE}, "commands": [[arg, …], …]}. The locale is chosen as `pairbot` chooses it
(PAIRBOT_APP__LOCALE, then LANG) before the command tree is built, so help texts and output follow it;
one interpreter for all the commands keeps a language tour quick.
"""

from __future__ import annotations

import json
import os
import sys

from typer.testing import CliRunner

from bot.cli import build_app
from bot.config import configured_locale
from bot.i18n import cli_locale, set_locale

if __name__ == "__main__":
    request = json.load(sys.stdin)
    os.environ.update(request["env"])
    set_locale(cli_locale(configured_locale([])))
    app = build_app()
    runner = CliRunner()
    results = []
    for args in request["commands"]:
        result = runner.invoke(app, args)
        results.append({"args": args, "code": result.exit_code, "stdout": result.stdout, "stderr": result.stderr})
    print(json.dumps(results, ensure_ascii=False))

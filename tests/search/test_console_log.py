"""``RUN_DIR/console.log``: the driver's console, teed once the run folder exists."""

from __future__ import annotations

import sys

from search.console_log import LOG_NAME, console_log


def test_lines_before_the_folder_exists_wait_and_lines_after_the_block_stay_out(tmp_path, capsys):
    run_dir = tmp_path / "run"
    with console_log(str(run_dir), command="run x.toml"):
        print("planned")  # no run folder yet
        run_dir.mkdir()
        print("[  1/2] trial a ok")
        print("a warning", file=sys.stderr)
        kept = sys.stdout
    kept.write("after the block\n")  # a handler that kept the teed stream
    log = (run_dir / LOG_NAME).read_text(encoding="utf-8").splitlines()
    assert log[0].endswith("realign-search run x.toml")
    assert log[1:] == ["planned", "[  1/2] trial a ok", "a warning"]
    out = capsys.readouterr()
    assert out.out == "planned\n[  1/2] trial a ok\nafter the block\n"  # the console still gets everything
    assert out.err == "a warning\n"


def test_no_folder_no_log(tmp_path):
    with console_log(str(tmp_path / "never")):
        print("refused")
    assert not (tmp_path / "never").exists()

"""The README's code runs as printed, and its Quick start is the one CI runs."""
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_first_look_example_runs(capsys):
    code = re.search(r"## A first look\n\n```python\n(.*?)```", README.read_text(), re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "[[2. 4.]" in out and "active" in out


def test_quick_start_has_exactly_the_two_commands():
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), re.S)
    assert blocks[0].strip() == 'pip install -e ".[test]" && python -m lucid.demo'
    assert blocks[1].strip() == "pytest"

import subprocess
import sys


def test_python_m_operando_is_the_command_line():
    out = subprocess.run([sys.executable, "-m", "operando", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Usage" in out.stdout and "sweep" in out.stdout and "fit" in out.stdout

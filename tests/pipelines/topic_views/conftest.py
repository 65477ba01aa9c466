"""A real headless browser for the tests of the topic atlas page."""

from collections.abc import Iterator

import pytest

from tests.headless_chromium import EXECUTABLES, Chromium, find_chromium, install_chromium


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Chromium's executable: found, else installed from Debian where allowed, else the test is skipped."""
    pytest.importorskip("websocket", reason="websocket-client (in the test extra) is not installed")
    found = find_chromium()
    if found is None:
        why_not = install_chromium()
        found = find_chromium()
        if found is None:
            pytest.skip(
                f"no Chromium on the PATH ({', '.join(EXECUTABLES)}), and it could not be installed: "
                f"{why_not or 'apt-get installed no executable of those names'}"
            )
    return found


@pytest.fixture(scope="module")
def chromium(chromium_executable: str) -> Iterator[Chromium]:
    """A headless Chromium, ended with its every process after the module's tests."""
    browser = Chromium(chromium_executable)
    try:
        yield browser
    finally:
        browser.close()

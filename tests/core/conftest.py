import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import pytest  # noqa: E402

from chainkit import Chain  # noqa: E402


@pytest.fixture
def chain() -> Chain:
    return Chain()

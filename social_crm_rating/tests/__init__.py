from . import test_csat

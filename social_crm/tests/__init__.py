from . import test_install
from . import test_fetch
from . import test_security
from . import test_cron
from . import test_controllers
from . import test_import
from . import test_routing
from . import test_analysis

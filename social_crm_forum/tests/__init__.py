from . import test_forum_network
from . import test_forum_ideas
from . import test_forum_knowledge
from . import test_forum_portal
from . import test_forum_flow

from . import portal
from . import forum

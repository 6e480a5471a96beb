import os
import sys

# The addon's pure core is imported as ``social_crm.core`` from the repository root.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

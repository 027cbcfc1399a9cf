"""Weight initializers: callables that take an ``nn.Module`` and initialise every ``nn.Linear`` (and convolution)
in it in place.

One file per initializer (``conf/init/<name>.yaml`` -> ``trainlab/init/<name>.py``).
"""

from trainlab.init.default import default_init
from trainlab.init.glorot import glorot_init
from trainlab.init.he import he_init
from trainlab.init.normal import normal_init
from trainlab.init.xavier import xavier_init
from trainlab.init.zeros import zeros_init

__all__ = ["default_init", "glorot_init", "he_init", "normal_init", "xavier_init", "zeros_init"]

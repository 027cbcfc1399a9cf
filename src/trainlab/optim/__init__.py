"""The book's optimizers as ``torch.optim.Optimizer`` subclasses, one per file, update rule in each docstring."""

from trainlab.optim.adagrad import AdaGrad
from trainlab.optim.adam import Adam
from trainlab.optim.momentum import Momentum
from trainlab.optim.nesterov import Nesterov
from trainlab.optim.rmsprop import RMSProp
from trainlab.optim.sgd import SGD

__all__ = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam"]

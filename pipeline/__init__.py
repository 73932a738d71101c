"""Structure Chinese government notices into measure-department tables."""

__version__ = "0.1.0"

from .server import entry

entry()

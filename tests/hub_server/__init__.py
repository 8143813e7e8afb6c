"""Hub-compatible HTTP test server (pure Python, stdlib only). See tests/hub_util.py."""

from .faults import KINDS as FAULT_KINDS, Fault
from .server import HubServer, Request
from .storage import HubError, default_gitattributes, git_blob_sha1, lfs_pointer

__all__ = ["HubServer", "Request", "Fault", "FAULT_KINDS", "HubError", "default_gitattributes",
           "git_blob_sha1", "lfs_pointer"]

from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Union

from ._hub_card import ModelCard as ModelCard
from ._hub_errors import (
    EntryNotFoundError as EntryNotFoundError,
    GatedRepoError as GatedRepoError,
    IncompleteSnapshotError as IncompleteSnapshotError,
    HfHubHTTPError as HfHubHTTPError,
    LocalEntryNotFoundError as LocalEntryNotFoundError,
    OfflineModeIsEnabled as OfflineModeIsEnabled,
    RemoteEntryNotFoundError as RemoteEntryNotFoundError,
    RepositoryNotFoundError as RepositoryNotFoundError,
    Response as Response,
    RevisionNotFoundError as RevisionNotFoundError,
)

_Token = Union[bool, str, None]
_Patterns = Union[str, list[str], None]

REPO_TYPES: tuple[str, ...]
DEFAULT_REVISION: str

def get_token() -> Optional[str]: ...
def repo_folder_name(*, repo_id: str, repo_type: str) -> str: ...
def hf_hub_url(repo_id: str, filename: str, *, subfolder: Optional[str] = ..., repo_type: Optional[str] = ...,
               revision: Optional[str] = ..., endpoint: Optional[str] = ...) -> str: ...

class HfFileMetadata:
    commit_hash: Optional[str]
    etag: Optional[str]
    location: str
    size: Optional[int]

def get_hf_file_metadata(url: str, token: _Token = ..., timeout: Optional[float] = ...,
                         endpoint: Optional[str] = ..., retries: int = ...) -> HfFileMetadata: ...
def try_to_load_from_cache(repo_id: str, filename: str, cache_dir: Union[str, Path, None] = ...,
                           revision: Optional[str] = ..., repo_type: Optional[str] = ...) -> Any: ...
def hf_hub_download(repo_id: str, filename: str, *, subfolder: Optional[str] = ..., repo_type: Optional[str] = ...,
                    revision: Optional[str] = ..., cache_dir: Union[str, Path, None] = ...,
                    local_dir: Union[str, Path, None] = ..., force_download: bool = ..., token: _Token = ...,
                    local_files_only: bool = ..., etag_timeout: Optional[float] = ...,
                    endpoint: Optional[str] = ..., connections: Optional[int] = ..., tqdm_class: Any = ...,
                    **_ignored: Any) -> str: ...
def snapshot_download(repo_id: str, *, repo_type: Optional[str] = ..., revision: Optional[str] = ...,
                      cache_dir: Union[str, Path, None] = ..., local_dir: Union[str, Path, None] = ...,
                      allow_patterns: _Patterns = ..., ignore_patterns: _Patterns = ..., max_workers: int = ...,
                      token: _Token = ..., local_files_only: bool = ..., force_download: bool = ...,
                      etag_timeout: Optional[float] = ..., endpoint: Optional[str] = ...,
                      connections: Optional[int] = ..., tqdm_class: Any = ..., **_ignored: Any) -> str: ...

class RepoFile:
    path: str
    size: int
    blob_id: Optional[str]
    lfs: Optional[dict]
    xet_hash: Optional[str]
    @property
    def rfilename(self) -> str: ...

class RepoFolder:
    path: str
    tree_id: Optional[str]

class RepoSibling:
    rfilename: str
    size: Optional[int]
    blob_id: Optional[str]
    lfs: Optional[dict]

class RepoInfo:
    id: str
    sha: Optional[str]
    private: Optional[bool]
    gated: Any
    tags: list
    siblings: list[RepoSibling]
    last_modified: Optional[str]
    card_data: Optional[dict]
    raw: dict

def repo_info(repo_id: str, *, repo_type: Optional[str] = ..., revision: Optional[str] = ..., token: _Token = ...,
              files_metadata: bool = ..., endpoint: Optional[str] = ..., timeout: Optional[float] = ...) -> RepoInfo: ...
def model_info(repo_id: str, *, revision: Optional[str] = ..., token: _Token = ..., files_metadata: bool = ...,
               **kw: Any) -> RepoInfo: ...
def dataset_info(repo_id: str, *, revision: Optional[str] = ..., token: _Token = ..., files_metadata: bool = ...,
                 **kw: Any) -> RepoInfo: ...
def list_repo_tree(repo_id: str, path_in_repo: Optional[str] = ..., *, recursive: bool = ...,
                   repo_type: Optional[str] = ..., revision: Optional[str] = ..., token: _Token = ...,
                   endpoint: Optional[str] = ...) -> Iterator[Union[RepoFile, RepoFolder]]: ...
def list_repo_files(repo_id: str, *, revision: Optional[str] = ..., repo_type: Optional[str] = ...,
                    token: _Token = ..., endpoint: Optional[str] = ...) -> list[str]: ...
def file_exists(repo_id: str, filename: str, *, repo_type: Optional[str] = ..., revision: Optional[str] = ...,
                token: _Token = ..., endpoint: Optional[str] = ...) -> bool: ...

class CommitOperationAdd:
    path_in_repo: str
    path_or_fileobj: Any
    size: int
    sha256: str
    upload_mode: Optional[str]
    def __init__(self, path_in_repo: str, path_or_fileobj: Any) -> None: ...

class CommitOperationDelete:
    path_in_repo: str
    is_folder: Union[bool, str]
    def __init__(self, path_in_repo: str, is_folder: Union[bool, str] = ...) -> None: ...

class CommitInfo:
    commit_url: str
    commit_message: str
    oid: str
    raw: dict

def create_repo(repo_id: str, *, token: _Token = ..., private: Optional[bool] = ..., repo_type: Optional[str] = ...,
                exist_ok: bool = ..., endpoint: Optional[str] = ..., **_ignored: Any) -> str: ...
def delete_repo(repo_id: str, *, token: _Token = ..., repo_type: Optional[str] = ..., missing_ok: bool = ...,
                endpoint: Optional[str] = ...) -> None: ...
def create_commit(repo_id: str, operations: Iterable[Union[CommitOperationAdd, CommitOperationDelete]], *,
                  commit_message: str, commit_description: Optional[str] = ..., token: _Token = ...,
                  repo_type: Optional[str] = ..., revision: Optional[str] = ..., parent_commit: Optional[str] = ...,
                  endpoint: Optional[str] = ..., **_ignored: Any) -> CommitInfo: ...
def upload_file(*, path_or_fileobj: Any, path_in_repo: str, repo_id: str, token: _Token = ...,
                repo_type: Optional[str] = ..., revision: Optional[str] = ..., commit_message: Optional[str] = ...,
                commit_description: Optional[str] = ..., parent_commit: Optional[str] = ...,
                endpoint: Optional[str] = ..., **_ignored: Any) -> CommitInfo: ...
def upload_folder(*, repo_id: str, folder_path: Union[str, Path], path_in_repo: Optional[str] = ...,
                  token: _Token = ..., repo_type: Optional[str] = ..., revision: Optional[str] = ...,
                  commit_message: Optional[str] = ..., commit_description: Optional[str] = ...,
                  allow_patterns: _Patterns = ..., ignore_patterns: _Patterns = ..., delete_patterns: _Patterns = ...,
                  endpoint: Optional[str] = ..., **_ignored: Any) -> CommitInfo: ...
def delete_file(path_in_repo: str, repo_id: str, *, token: _Token = ..., repo_type: Optional[str] = ...,
                revision: Optional[str] = ..., commit_message: Optional[str] = ..., endpoint: Optional[str] = ...,
                **_ignored: Any) -> CommitInfo: ...

class HfApi:
    endpoint: Optional[str]
    token: _Token
    def __init__(self, endpoint: Optional[str] = ..., token: _Token = ...) -> None: ...
    def __getattr__(self, name: str) -> Any: ...

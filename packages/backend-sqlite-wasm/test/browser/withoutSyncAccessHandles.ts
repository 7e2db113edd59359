// A browser without OPFS sync access handles (older Safari, some private modes): the method is taken away.
delete (FileSystemFileHandle.prototype as { createSyncAccessHandle?: unknown }).createSyncAccessHandle

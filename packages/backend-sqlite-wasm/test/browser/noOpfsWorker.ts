// The backend's worker in a browser without OPFS sync access handles: modules run in import order, so the
// method is gone before the worker starts.
import './withoutSyncAccessHandles'
import '../../src/worker'

// Each fixture points the module's server index (SANDBOX_STATE_DIR, a process-wide variable) at a directory of its own:
// two fixtures running at once would note their servers in each other's. The classes run one after the other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

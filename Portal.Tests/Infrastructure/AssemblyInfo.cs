// Hangfire keeps its storage in static state, and the fault tests stop services: run test classes one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// Disk faults for real-process runs (wipe, corrupt) and the acknowledged-writes checker.
export {};

/**
 * Ours: simulator. Boot (init/main.c's order), the boot options and boot sets, and the {@code sim/}
 * directory through which a user drives and inspects the model.
 */
package io.slabfs.kernel.sim;

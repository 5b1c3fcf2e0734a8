/**
 * Ours: simulator. Which kernel release's behaviour is simulated, as data the other packages read.
 */
package io.slabfs.kernel.era;

/** Container records under the run root, their locks, and recovery after a killed JVM. */
package io.mdocker.internal.state;

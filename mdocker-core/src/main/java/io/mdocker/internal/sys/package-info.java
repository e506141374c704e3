/** System calls with errno capture over the generated bindings; errors as ErrnoException. */
package io.mdocker.internal.sys;

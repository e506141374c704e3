/**
 * mdocker for JUnit Jupiter tests: {@link io.mdocker.junit.MdockerTest} on a class,
 * {@link io.mdocker.junit.Sandbox} on fields and parameters, {@link io.mdocker.junit.SandboxContainer}
 * for a definition with wait strategies. Containers start in milliseconds and need no daemon.
 *
 * <p>Lifecycle: static sandboxes live for their class, instance ones for one test; JUnit's
 * stores close them when their scope ends, whatever the outcome. Threading: the extension keeps
 * no state of its own, so JUnit's parallel execution (classes and methods) is safe.
 */
package io.mdocker.junit;

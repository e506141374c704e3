package io.mdocker.junit;

import io.mdocker.internal.Cleanup;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The sandboxes of one JUnit scope (a class, or one test), kept in that scope's
 * {@code ExtensionContext.Store}: JUnit closes it when the scope ends, whether its tests passed,
 * failed or timed out, and it closes every sandbox, last started first. Thread-safe.
 *
 * <p>Both {@code CloseableResource} and {@code AutoCloseable}, as JUnit's own stored resources
 * are: JUnit 5.10 to 5.12 close only a {@code CloseableResource}; 5.13 and 6.x close an
 * {@code AutoCloseable} (once, even when it is both) and warn about a {@code CloseableResource}
 * that is not one.
 */
final class SandboxScope implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    /**
     * One sandbox and where it came from: the field it is managed for (null for a parameter's
     * own container) and a name for reports.
     */
    record Entry(Field field, String name, SandboxContainer sandbox) { }

    private final List<Entry> entries = new CopyOnWriteArrayList<>();

    /** Registers a sandbox before it starts, so that a failing start is cleaned up too. */
    SandboxContainer add(Field field, String name, SandboxContainer sandbox) {
        entries.add(new Entry(field, name, sandbox));
        return sandbox;
    }

    /** The sandbox managed for {@code field} in this scope. */
    Optional<SandboxContainer> managed(Field field) {
        return entries.stream().filter(e -> field.equals(e.field())).map(Entry::sandbox).findFirst();
    }

    List<Entry> entries() {
        return List.copyOf(entries);
    }

    /** Closes every sandbox, the last registered first; the first failure is thrown after all were tried. */
    @Override
    public void close() {
        Cleanup.inReverse(new ArrayList<>(entries), e -> e.sandbox().close());
    }
}

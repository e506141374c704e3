package io.mdocker.junit;

import io.mdocker.Container;
import io.mdocker.ContainerPool;
import io.mdocker.internal.Cleanup;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The warm pools of one test class ({@link Sandbox#pool()}), one per field, kept in the class's
 * {@code ExtensionContext.Store}: JUnit closes them after the class, which removes every sandbox
 * still parked. A pool serves the field's containers because {@link Container#start()} claims from
 * an open pool of a matching definition (each test's instance builds an equal one). Thread-safe;
 * both {@code CloseableResource} and {@code AutoCloseable}, as {@link SandboxScope} is.
 */
final class SandboxPools implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SandboxPools.class);

    private final Map<Field, ContainerPool> pools = new ConcurrentHashMap<>();

    /** The pools of the class whose context {@code classContext} is. */
    static SandboxPools of(ExtensionContext classContext) {
        return classContext.getStore(NAMESPACE).getOrComputeIfAbsent(classContext.getUniqueId(), id -> new SandboxPools(),
                SandboxPools.class);
    }

    /** Opens the pool of {@code field} unless it is open: {@code size} sandboxes of {@code definition}. */
    void open(Field field, Container definition, int size) {
        pools.computeIfAbsent(field, f -> {
            try {
                return definition.runtime().pool(definition, size);
            } catch (IllegalArgumentException e) {
                throw new ExtensionConfigurationException("@Sandbox(pool = " + size + ") on field "
                        + f.getDeclaringClass().getSimpleName() + "." + f.getName() + ": " + e.getMessage(), e);
            }
        });
    }

    /** Closes every pool; the first failure is thrown after all were tried. */
    @Override
    public void close() {
        Cleanup.inReverse(new ArrayList<>(pools.values()), ContainerPool::close);
    }
}

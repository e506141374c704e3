package io.mdocker.junit;

import io.mdocker.Container;
import io.mdocker.RunningContainer;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * The JUnit Jupiter extension behind {@link MdockerTest}.
 *
 * <ul>
 *   <li>{@link Sandbox} fields: static ones started in {@code beforeAll}, instance ones in
 *       {@code beforeEach} (in {@code beforeAll} too with {@code @TestInstance(PER_CLASS)}), each
 *       registered in its scope's {@code ExtensionContext.Store} before it starts, so JUnit closes
 *       it when the scope ends: after a pass, a failure, a timeout or a failed start alike.</li>
 *   <li>{@link Sandbox} parameters: see {@link Sandbox}.</li>
 *   <li>{@link Sandbox#pool()}: a warm pool for an instance field's definition, opened as its first
 *       container starts and kept in the class's store, so JUnit closes it after the class.</li>
 *   <li>On a failure in a test or a lifecycle method, each sandbox of the scopes involved adds its
 *       last output to the exception as a suppressed {@link SandboxOutput}.</li>
 *   <li>A machine that cannot run containers disables the tests with the reason, except under
 *       {@code CI=true}.</li>
 * </ul>
 *
 * <p>Stateless: everything lives in JUnit's stores, so classes and methods may run in parallel.
 * Containers get their own addresses and ports from mdocker; publish ports on host port 0 so that
 * parallel tests never ask for the same one.
 */
public final class MdockerExtension implements BeforeAllCallback, BeforeEachCallback, ParameterResolver,
        TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler, ExecutionCondition {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(MdockerExtension.class);

    /** Probed once per JVM; immutable afterwards. */
    private static final class Machine {
        static final List<String> MISSING = MachineSupport.missing(Path.of("/proc"), Path.of("/lib/modules"));
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return MachineSupport.decide(System.getenv(), Machine.MISSING);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        Class<?> testClass = context.getRequiredTestClass();
        for (Field f : sandboxFields(testClass, true)) {
            start(context, f, null);
        }
        if (context.getTestInstanceLifecycle().orElse(TestInstance.Lifecycle.PER_METHOD) == TestInstance.Lifecycle.PER_CLASS) {
            Object instance = context.getRequiredTestInstance();
            for (Field f : sandboxFields(testClass, false)) {
                start(context, f, instance);
            }
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (context.getTestInstanceLifecycle().orElse(TestInstance.Lifecycle.PER_METHOD) == TestInstance.Lifecycle.PER_CLASS) {
            return; // started once for the class
        }
        for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
            for (Field f : sandboxFields(instance.getClass(), false)) {
                start(context, f, instance);
            }
        }
    }

    private static void start(ExtensionContext context, Field field, Object instance) {
        Object value = read(field, instance);
        SandboxContainer sandbox = switch (value) {
            case SandboxContainer s -> s;
            case Container c -> SandboxContainer.of(c);
            case null -> throw new ExtensionConfigurationException("@Sandbox field " + describe(field) + " is null");
            default -> throw new ExtensionConfigurationException("@Sandbox field " + describe(field) + " holds a "
                    + value.getClass().getName() + ": expected a SandboxContainer or a Container");
        };
        int pool = field.getAnnotation(Sandbox.class).pool();
        if (instance != null && pool != 0) {
            SandboxPools.of(classContext(context)).open(field, sandbox.definition(), pool);
        }
        scope(context).add(field, field.getName(), sandbox).start();
    }

    /** The class's context: {@code context} itself in beforeAll, its nearest class-level ancestor in a test's. */
    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext c = context;
        while (c.getTestMethod().isPresent() && c.getParent().isPresent()) {
            c = c.getParent().get();
        }
        return c;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return parameter.isAnnotated(Sandbox.class) && (type == RunningContainer.class || type == SandboxContainer.class);
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        String name = parameter.findAnnotation(Sandbox.class).map(Sandbox::value).orElse("");
        if (name.isBlank()) {
            throw new ParameterResolutionException("@Sandbox on parameter " + parameter.getParameter().getName()
                    + " needs the name of the field it comes from, e.g. @Sandbox(\"web\")");
        }
        Field field = findField(context.getRequiredTestClass(), name).orElseThrow(() -> new ParameterResolutionException(
                "@Sandbox(\"" + name + "\"): " + context.getRequiredTestClass().getName() + " has no field " + name));
        SandboxContainer sandbox;
        if (field.isAnnotationPresent(Sandbox.class)) {
            sandbox = managed(context, field).orElseThrow(() -> new ParameterResolutionException("@Sandbox(\"" + name
                    + "\"): the sandbox of field " + describe(field) + " is not started in this scope"
                    + (Modifier.isStatic(field.getModifiers()) ? "" : " (an instance field cannot serve a static method)")));
        } else {
            Object instance = Modifier.isStatic(field.getModifiers()) ? null : context.getTestInstance().orElseThrow(
                    () -> new ParameterResolutionException("@Sandbox(\"" + name + "\"): instance field " + describe(field)
                            + " cannot serve a static method"));
            Object value = read(field, instance);
            SandboxContainer definition = switch (value) {
                case SandboxContainer s -> s;
                case Container c -> SandboxContainer.of(c);
                case null, default -> throw new ParameterResolutionException("@Sandbox(\"" + name + "\"): field "
                        + describe(field) + " holds " + value + ": expected a SandboxContainer or a Container");
            };
            sandbox = scope(context).add(null, parameter.getParameter().getName() + " (from " + name + ")",
                    definition.copy());
            sandbox.start();
        }
        return parameter.getParameter().getType() == RunningContainer.class ? sandbox.container() : sandbox;
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw attachOutput(context, failure);
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw attachOutput(context, failure);
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw attachOutput(context, failure);
    }

    @Override
    public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw attachOutput(context, failure);
    }

    @Override
    public void handleAfterAllMethodExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        throw attachOutput(context, failure);
    }

    /** Adds the last output of every started sandbox of this scope and the enclosing ones. */
    private static Throwable attachOutput(ExtensionContext context, Throwable failure) {
        for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
            SandboxScope scope = c.getStore(NAMESPACE).get(c.getUniqueId(), SandboxScope.class);
            if (scope == null) {
                continue;
            }
            for (SandboxScope.Entry e : scope.entries()) {
                e.sandbox().started().ifPresent(running -> failure.addSuppressed(new SandboxOutput(e.name(), running)));
            }
        }
        return failure;
    }

    /**
     * This context's own scope (keyed by its unique id: stores also answer for their parents' keys).
     * {@code getOrComputeIfAbsent}, not 6.0's {@code computeIfAbsent}: the one that JUnit 5.10 to
     * 6.x all have (deprecated in 6.0, not removed).
     */
    private static SandboxScope scope(ExtensionContext context) {
        return context.getStore(NAMESPACE).getOrComputeIfAbsent(context.getUniqueId(), id -> new SandboxScope(),
                SandboxScope.class);
    }

    private static Optional<SandboxContainer> managed(ExtensionContext context, Field field) {
        for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
            SandboxScope scope = c.getStore(NAMESPACE).get(c.getUniqueId(), SandboxScope.class);
            Optional<SandboxContainer> s = scope == null ? Optional.empty() : scope.managed(field);
            if (s.isPresent()) {
                return s;
            }
        }
        return Optional.empty();
    }

    /** The @Sandbox fields of a class and its superclasses, static or not, superclass fields first. */
    private static List<Field> sandboxFields(Class<?> type, boolean statics) {
        List<Field> fields = new ArrayList<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            List<Field> own = new ArrayList<>();
            for (Field f : c.getDeclaredFields()) {
                if (f.isAnnotationPresent(Sandbox.class) && Modifier.isStatic(f.getModifiers()) == statics) {
                    own.add(f);
                }
            }
            fields.addAll(0, own);
        }
        return fields;
    }

    private static Optional<Field> findField(Class<?> type, String name) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (f.getName().equals(name)) {
                    return Optional.of(f);
                }
            }
        }
        return Optional.empty();
    }

    private static Object read(Field field, Object instance) {
        try {
            field.setAccessible(true);
            return field.get(Modifier.isStatic(field.getModifiers()) ? null : instance);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new ExtensionConfigurationException("cannot read @Sandbox field " + describe(field) + ": " + e, e);
        }
    }

    private static String describe(Field field) {
        return field.getDeclaringClass().getSimpleName() + "." + field.getName();
    }
}

package io.mdocker.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A container managed by the extension ({@link MdockerTest}).
 *
 * <p>On a field of type {@link SandboxContainer} or {@link io.mdocker.Container}: a
 * {@code static} field is started once before the class's tests (before {@code @BeforeAll}
 * methods) and closed after them; an instance field is started before each test (before
 * {@code @BeforeEach} methods) and closed after it. A {@code Container} field has no live handle:
 * reach its container through a parameter.
 *
 * <p>On a parameter of type {@link io.mdocker.RunningContainer} or {@link SandboxContainer}:
 * {@link #value()} names a field of the test class. When that field is a managed {@code @Sandbox}
 * field, the parameter gets its started container; when it is a plain definition (a
 * {@code SandboxContainer} or {@code Container} field without {@code @Sandbox}), the parameter
 * gets a new container started from it, closed when the method's scope ends.
 */
@Documented
@Target({ElementType.FIELD, ElementType.PARAMETER})
@Retention(RetentionPolicy.RUNTIME)
public @interface Sandbox {
    /** For a parameter: the field it comes from. Ignored on fields. */
    String value() default "";

    /**
     * For an instance field: how many sandboxes a warm pool keeps ready for its definition
     * ({@link io.mdocker.ContainerPool}, 1 to {@link io.mdocker.ContainerPool#MAX_SIZE}); 0, the
     * default, for none. The pool is opened as the field's first container starts, serves that
     * container and those of the class's later tests (each still a sandbox of its own, never
     * reused), and is closed after the class's last test. For a class of many short tests of one
     * definition. Ignored on static fields and parameters.
     */
    int pool() default 0;
}

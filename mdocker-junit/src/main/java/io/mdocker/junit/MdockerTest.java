package io.mdocker.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Enables the mdocker extension on a test class: its {@link Sandbox} fields are started before
 * use and closed when their scope ends, {@link Sandbox} parameters are injected, a failing test's
 * report gets the containers' last output, and the class is disabled (with the reason) on a
 * machine that cannot run containers, except under {@code CI=true}. See {@link MdockerExtension}.
 */
@Documented
@Inherited
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(MdockerExtension.class)
public @interface MdockerTest {
}

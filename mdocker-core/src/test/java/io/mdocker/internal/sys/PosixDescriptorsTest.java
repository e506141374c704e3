package io.mdocker.internal.sys;

import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.bindings.Linux;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Posix}, {@link Terminals} and the process Spawner call libc from hand-written
 * descriptors, not from jextract's {@code Linux.f$descriptor()} (whose holder class would link the
 * errno-less handle too). This test keeps them from drifting: every holder class (a nested class
 * with a static {@code MethodHandle H}, or a static {@code MemorySegment F} called through Posix's
 * common shape) must name its {@code SYMBOL} and {@code DESC}, and {@code DESC} must equal the
 * generated descriptor of that symbol (with {@code FIRST_VARIADIC}, the generated variadic
 * invoker's descriptor for the same trailing argument layouts); a function called through the
 * common shape must fit it.
 */
class PosixDescriptorsTest {

    @Test
    void everyHandWrittenDescriptorIsJextracts() throws Exception {
        List<String> checked = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (Class<?> facade : List.of(Posix.class, Terminals.class, Quotas.class,
                Class.forName("io.mdocker.internal.process.Spawner"))) {
            for (Class<?> holder : facade.getDeclaredClasses()) {
                Field handle = staticField(holder, "H");
                Field function = staticField(holder, "F");
                boolean linked = handle != null && handle.getType() == MethodHandle.class;
                boolean shared = function != null && function.getType() == MemorySegment.class;
                if (!linked && !shared) {
                    continue;
                }
                String name = facade.getSimpleName() + "." + holder.getSimpleName();
                Field symbolField = staticField(holder, "SYMBOL");
                Field descField = staticField(holder, "DESC");
                if (symbolField == null || descField == null) {
                    problems.add(name + ": a downcall holder without SYMBOL and DESC");
                    continue;
                }
                String symbol = (String) symbolField.get(null);
                FunctionDescriptor desc = (FunctionDescriptor) descField.get(null);
                Field variadicField = staticField(holder, "FIRST_VARIADIC");
                FunctionDescriptor generated = variadicField == null
                        ? generated(symbol)
                        : generatedVariadic(symbol, desc, variadicField.getInt(null));
                if (!desc.equals(generated)) {
                    problems.add(name + " (" + symbol + "): hand-written " + desc + ", generated " + generated);
                }
                if (shared && !Posix.fitsShape(desc)) {
                    problems.add(name + " (" + symbol + "): called through the common shape, but " + desc + " does not fit it");
                }
                checked.add(name);
            }
        }
        assertThat(checked).as("downcall holders found in Posix, Terminals and Spawner").hasSizeGreaterThan(30);
        assertThat(problems).as("hand-written descriptors that differ from jextract's (%d checked)", checked.size())
                .isEmpty();
    }

    private static FunctionDescriptor generated(String symbol) throws ReflectiveOperationException {
        return (FunctionDescriptor) Linux.class.getMethod(symbol + "$descriptor").invoke(null);
    }

    /** jextract's variadic invoker (Linux.fcntl, ...) made for DESC's variadic argument layouts. */
    private static FunctionDescriptor generatedVariadic(String symbol, FunctionDescriptor desc, int firstVariadic)
            throws ReflectiveOperationException {
        Class<?> invoker = Arrays.stream(Linux.class.getClasses())
                .filter(c -> c.getSimpleName().equals(symbol)).findFirst()
                .orElseThrow(() -> new AssertionError("Linux has no variadic invoker " + symbol));
        List<MemoryLayout> args = desc.argumentLayouts();
        MemoryLayout[] variadic = args.subList(firstVariadic, args.size()).toArray(MemoryLayout[]::new);
        Method make = invoker.getMethod("makeInvoker", MemoryLayout[].class);
        Object made = make.invoke(null, (Object) variadic);
        return (FunctionDescriptor) invoker.getMethod("descriptor").invoke(made);
    }

    private static Field staticField(Class<?> type, String name) {
        try {
            Field f = type.getDeclaredField(name);
            if (!Modifier.isStatic(f.getModifiers())) {
                return null;
            }
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            return null;
        }
    }
}

package io.meridian.stack.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import io.meridian.stack.process.Processes;

/**
 * File handling for clusters: when the caller is root, everything PostgreSQL touches must belong
 * to (or at least be reachable by) the {@code postgres} operating-system user.
 */
final class PgFiles {

    static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> SHARED_FILE = PosixFilePermissions.fromString("rw-r-----");
    private static final Set<PosixFilePermission> TRAVERSABLE_DIR = PosixFilePermissions.fromString("rwxr-xr-x");

    private final String osUser;
    private final boolean root;

    PgFiles(String osUser) {
        this.osUser = osUser;
        this.root = Processes.isRoot();
    }

    /**
     * Fails with a clear message when the caller is root and there is no server user to run
     * PostgreSQL as (it refuses to run as root).
     */
    void requireServerUser() {
        if (!root) {
            return;
        }
        try {
            FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(osUser);
        } catch (IOException e) {
            throw new IllegalStateException("PostgreSQL refuses to run as root, and there is no '" + osUser
                    + "' operating-system user to run it as. Create one (useradd --system " + osUser
                    + ") or run as a non-root user.", e);
        }
    }

    /** Whether files must be handed over to {@link #osUser} (the caller is root). */
    boolean handOver() {
        return root;
    }

    /**
     * Creates {@code dir} and its missing ancestors with mode 755 so that the server user can
     * traverse the chain created here, then checks that it can reach {@code dir} at all.
     */
    void createTraversable(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = abs; p != null && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent()) {
            missing.push(p);
        }
        try {
            while (!missing.isEmpty()) {
                Path p = missing.pop();
                try {
                    Files.createDirectory(p);
                    Files.setPosixFilePermissions(p, TRAVERSABLE_DIR);
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    // created concurrently
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create " + abs, e);
        }
        checkReachable(abs);
    }

    /**
     * Creates (if missing) a private directory owned by the server user, mode 700, inside a
     * traversable chain.
     */
    void createPrivateDir(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent != null) {
            createTraversable(parent);
        }
        try {
            if (!Files.isDirectory(abs)) {
                Files.createDirectory(abs);
            }
            Files.setPosixFilePermissions(abs, PRIVATE_DIR);
            own(abs);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create " + abs, e);
        }
    }

    /** Creates (if missing) a file the server user can append to, e.g. the server log. */
    void createWritableFile(Path file) {
        Path abs = file.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent != null) {
            createTraversable(parent);
        }
        try {
            if (!Files.exists(abs)) {
                Files.createFile(abs);
                Files.setPosixFilePermissions(abs, SHARED_FILE);
            }
            own(abs);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            // created concurrently
        } catch (IOException e) {
            throw new UncheckedIOException("Could not create " + abs, e);
        }
    }

    /** Atomically replaces {@code file} with {@code content}, mode 600, owned by the server user. */
    void writePrivate(Path file, String content) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(tmp, PRIVATE_FILE);
            own(tmp);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write " + file, e);
        }
    }

    /** Hands {@code path} over to the server user when the caller is root. */
    void own(Path path) throws IOException {
        if (!root) {
            return;
        }
        UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
        UserPrincipal user = lookup.lookupPrincipalByName(osUser);
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        view.setOwner(user);
        @Nullable GroupPrincipal group = group(lookup);
        if (group != null) {
            view.setGroup(group);
        }
    }

    /**
     * Checks, when root, that every ancestor of {@code dir} lets the server user through; fails
     * with a message that says which directory to fix.
     */
    void checkReachable(Path dir) {
        if (!root) {
            return;
        }
        UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
        try {
            UserPrincipal user = lookup.lookupPrincipalByName(osUser);
            @Nullable GroupPrincipal group = group(lookup);
            for (Path p = dir.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
                if (!Files.exists(p)) {
                    continue;
                }
                PosixFileAttributes attrs = Files.readAttributes(p, PosixFileAttributes.class);
                Set<PosixFilePermission> perms = attrs.permissions();
                boolean ok = perms.contains(PosixFilePermission.OTHERS_EXECUTE)
                        || attrs.owner().equals(user) && perms.contains(PosixFilePermission.OWNER_EXECUTE)
                        || group != null && attrs.group().equals(group)
                                && perms.contains(PosixFilePermission.GROUP_EXECUTE);
                if (!ok) {
                    throw new IllegalStateException("The '" + osUser + "' user, which runs PostgreSQL when the caller"
                            + " is root, cannot reach " + dir + ": " + p + " (owner " + attrs.owner().getName()
                            + ", mode " + PosixFilePermissions.toString(perms) + ") is not traversable by it."
                            + " Run 'chmod o+x " + p + "' or use a directory under /tmp.");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not check the permissions above " + dir, e);
        }
    }

    private @Nullable GroupPrincipal group(UserPrincipalLookupService lookup) {
        try {
            return lookup.lookupPrincipalByGroupName(osUser);
        } catch (IOException e) {
            return null;
        }
    }
}

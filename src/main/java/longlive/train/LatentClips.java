package longlive.train;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import longlive.kernel.Parallel;
import longlive.tensor.Tensor;
import longlive.vae.LatentStats;
import longlive.vae.WanVae;

/**
 * Training clips encoded once by the frozen stage-1 VAE: normalized {@code mu} per clip in the DiT's layout
 * {@code [F, z, h, w]}, with the clip's caption and structured sample kept alongside. Later stages (teacher, ODE,
 * DMD) see the world through these latents, as the reference trains on precomputed Wan-VAE latents.
 *
 * <p>Encoding is the expensive part (a VAE encoder pass per clip), so the set is written to disk and reused when a
 * run resumes; the file's header records what it was made from (VAE file checksum, size, frames, seed) and a file
 * made from anything else is rebuilt, never silently reused.
 */
public final class LatentClips {
    private static final int MAGIC = 0x4C4C4154;     // "LLAT"
    private static final int VERSION = 1;

    private final String origin;
    private final int count, frames, channels, height, width;
    private final float[] data;
    private final String[] captions;

    private LatentClips(String origin, int count, int frames, int channels, int height, int width, float[] data, String[] captions) {
        this.origin = origin;
        this.count = count;
        this.frames = frames;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.data = data;
        this.captions = captions;
    }

    /**
     * Loads {@code file} if it was made from {@code origin}, else encodes {@code count} clips of {@code source}
     * (clip i = {@code source.apply(i)}, captions never dropped: dropout is drawn per step by the stage) and writes it.
     *
     * @param origin a string naming everything the latents depend on (VAE checksum, clip options, seed)
     * @param par    threads that encode whole clips concurrently ({@code source} must allow concurrent calls)
     */
    public static LatentClips loadOrEncode(Path file, String origin, IntFunction<ClipBatch> source, int count, WanVae vae,
                                           LatentStats stats, Parallel par, PrintStream log) throws IOException {
        if (Files.isRegularFile(file)) {
            LatentClips c = read(file);
            if (c.origin.equals(origin) && c.count == count) {
                log.printf("latents: reusing %s (%d clips)%n", file, count);
                return c;
            }
            log.printf("latents: %s was made from other inputs; re-encoding%n", file);
        }
        long t0 = System.nanoTime();
        String[] captions = new String[count];
        Tensor first = vae.encode(toVideo(source.apply(0)), stats);      // [z, F, h, w]: fixes the sizes
        int z = first.dim(0), f = first.dim(1), h = first.dim(2), w = first.dim(3), clipSize = f * z * h * w;
        float[] data = new float[Math.multiplyExact(count, clipSize)];
        AtomicInteger done = new AtomicInteger();
        // Clips are independent: threads take whole clips (a kernel called from a pool thread runs serially).
        par.forEach(count, i -> {
            ClipBatch clip = source.apply(i);
            Tensor mu = i == 0 ? first : vae.encode(toVideo(clip), stats);
            int hw = h * w;
            for (int t = 0; t < f; t++)
                for (int ch = 0; ch < z; ch++)
                    System.arraycopy(mu.data(), (ch * f + t) * hw, data, i * clipSize + (t * z + ch) * hw, hw);
            captions[i] = clip.sample().caption();
            int n = done.incrementAndGet();
            if (n % 256 == 0 || n == count)
                log.printf("latents: encoded %d/%d clips (%.1f s)%n", n, count, (System.nanoTime() - t0) / 1e9);
        });
        LatentClips c = new LatentClips(origin, count, f, z, h, w, data, captions);
        c.write(file);
        return c;
    }

    /**
     * Wraps latents made some other way (e.g. teacher trajectories) and writes them to {@code file}.
     *
     * @param data {@code count} entries of {@code [frames, channels, height, width]}
     */
    public static LatentClips of(Path file, String origin, int frames, int channels, int height, int width, float[] data,
                                 String[] captions) throws IOException {
        int size = frames * channels * height * width;
        if (size < 1 || data.length % size != 0 || data.length / size != captions.length)
            throw new IllegalArgumentException("latent clips: " + data.length + " values do not hold " + captions.length
                    + " entries of " + frames + "x" + channels + "x" + height + "x" + width);
        LatentClips c = new LatentClips(origin, captions.length, frames, channels, height, width, data, captions);
        c.write(file);
        return c;
    }

    /** The latents in {@code file} if it exists and was made from {@code origin}, else null. */
    public static LatentClips readIfMadeFrom(Path file, String origin) throws IOException {
        if (!Files.isRegularFile(file)) return null;
        LatentClips c = read(file);
        return c.origin.equals(origin) ? c : null;
    }

    /** {@code [F, 3, H, W]} clip pixels as the VAE's {@code [3, F, H, W]} tensor. */
    static Tensor toVideo(ClipBatch clip) {
        int f = clip.frames(), hw = clip.height() * clip.width();
        float[] v = new float[3 * f * hw];
        for (int t = 0; t < f; t++)
            for (int ch = 0; ch < 3; ch++) System.arraycopy(clip.pixels(), (t * 3 + ch) * hw, v, (ch * f + t) * hw, hw);
        return Tensor.of(v, 3, f, clip.height(), clip.width());
    }

    /** Latent frames per clip. */
    public int frames() {
        return frames;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public int count() {
        return count;
    }

    /** Floats per clip ({@code F·z·h·w}). */
    public int clipSize() {
        return frames * channels * height * width;
    }

    /** Copies clip {@code i}'s latents {@code [F, z, h, w]} into {@code out}. */
    public void copy(int i, float[] out) {
        Objects.checkIndex(i, count);
        System.arraycopy(data, i * clipSize(), out, 0, clipSize());
    }

    public String caption(int i) {
        return captions[i];
    }

    private void write(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16))) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeUTF(origin);
            for (int v : new int[] {count, frames, channels, height, width}) out.writeInt(v);
            for (String s : captions) out.writeUTF(s);
            for (float v : data) out.writeFloat(v);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static LatentClips read(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            if (in.readInt() != MAGIC || in.readInt() != VERSION)
                throw new IOException(file + ": not a latent-clips file of this version");
            String origin = in.readUTF();
            int count = in.readInt(), f = in.readInt(), z = in.readInt(), h = in.readInt(), w = in.readInt();
            if (count < 1 || f < 1 || z < 1 || h < 1 || w < 1 || (long) count * f * z * h * w > Integer.MAX_VALUE - 8)
                throw new IOException(file + ": implausible latent-clips header " + count + "x" + f + "x" + z + "x" + h + "x" + w);
            String[] captions = new String[count];
            for (int i = 0; i < count; i++) captions[i] = in.readUTF();
            float[] data = new float[count * f * z * h * w];
            for (int i = 0; i < data.length; i++) data[i] = in.readFloat();
            return new LatentClips(origin, count, f, z, h, w, data, captions);
        } catch (java.io.EOFException e) {
            throw new IOException(file + ": truncated latent-clips file", e);
        }
    }
}

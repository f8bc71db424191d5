package longlive.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import longlive.io.WanVaeCheckpoint;
import longlive.kernel.Parallel;
import longlive.vae.VaeConfig;
import longlive.vae.VaeKernels;
import longlive.vae.VaeWeights;
import longlive.vae.WanVaeTraining;
import longlive.video.Frame;
import longlive.world.ClipStream;
import longlive.world.Sample;

/**
 * Training stage 1: a small Wan-VAE (the real architecture at reduced widths) on Shapes-world clips from
 * {@link ClipStream}. Loss {@link VaeLoss} (L1 + small KL), AdamW with linear warm-up and cosine decay, global
 * gradient-norm clipping, EMA; resumable checkpoints under {@code OUT/checkpoints}; at the end the EMA weights are
 * written as a model-directory {@code vae/} part ({@code model.safetensors} in the reference state-dict naming,
 * {@code vae_config.json}, {@code latent_stats.json} = per-channel mean/std of mu over training clips) plus
 * {@code train_summary.json} with held-out PSNR.
 *
 * <p>Every random draw derives from (seed, step) ({@link StepRng}), so a resumed run continues exactly as the
 * uninterrupted one would.
 */
public final class VaeTraining {
    /** Checkpoint part name. */
    static final String PART = "vae";
    /** Seed offset of the held-out clip stream (never used for training). */
    static final long HELD_OUT = 0x5EED_0FF5E7L;
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Initial log-variance of the encoder (sigma ~ 0.05). With random init the log-variance half of {@code conv1}
     * starts near 0 (sigma ~ 1, as large as mu), the decoder then sees the signal at an SNR of about 1, and with a KL
     * weight of 1e-6 Adam needs thousands of steps to shrink it (measured: sigma still ~1 after 600 steps at lr
     * 1e-3). Starting almost deterministic fits a budget of a few thousand steps.
     */
    static final float LOGVAR_INIT = -6f;

    /**
     * @param vae          the architecture
     * @param size         clip height and width (multiple of 8); held-out PSNR and latent stats are taken at this size
     * @param crop         train on random {@code crop x crop} windows of the rendered clips (0 = whole frames): the
     *                     convolutional VAE sees the same pixel statistics at a fraction of the cost per step
     * @param frames       frames per clip ({@code 1 + 4k}, at least 17 for the clip stream)
     * @param batch        clips per optimizer step (gradients averaged)
     * @param steps        total optimizer steps (the cosine schedule's length)
     * @param minutes      wall-clock budget of this run (stops early, checkpointed; 0 = none)
     * @param stopAt       stop (checkpointed) once this step is reached, leaving the schedule of {@code steps}
     *                     unchanged, so that a later run can resume it with other clips (0 = none)
     * @param lr           peak learning rate
     * @param warmup       linear warm-up steps
     * @param klWeight     KL weight relative to L1 (see {@link VaeLoss})
     * @param mseWeight    weight of the squared-error term added to L1 (see {@link VaeLoss})
     * @param chromaWeight weight of the chroma term (see {@link VaeLoss})
     * @param gradClip     max global gradient norm
     * @param emaDecay     EMA decay per step
     * @param saveEvery    checkpoint period in steps
     * @param logEvery     progress line period in steps
     * @param evalClips    held-out clips for the final PSNR
     * @param statsClips   training clips for the latent mean/std
     * @param init         a VAE run or model directory (holding {@code vae/}) whose weights a new run starts from
     *                     instead of random ones, e.g. to fine-tune at another {@code size}; null = random. Ignored
     *                     when {@code out} already holds checkpoints (the run resumes)
     */
    public record Options(VaeConfig vae, int size, int crop, int frames, int batch, long steps, double minutes, long stopAt, double lr,
                          int warmup, double klWeight, double mseWeight, double chromaWeight, double gradClip, double emaDecay, double weightDecay, long seed,
                          int saveEvery, int logEvery, int evalClips, int statsClips, Path out, int threads, Path init) {
        public Options {
            if (size % vae.spatialFactor() != 0) throw new IllegalArgumentException("--size must be a multiple of " + vae.spatialFactor());
            if (crop < 0 || crop > size || crop % vae.spatialFactor() != 0)
                throw new IllegalArgumentException("--crop must be 0 or a multiple of " + vae.spatialFactor() + " up to --size");
            if ((frames - 1) % vae.temporalFactor() != 0 || frames < 17)
                throw new IllegalArgumentException("--frames must be 1 + " + vae.temporalFactor() + "k and >= 17, got " + frames);
            if (stopAt < 0) throw new IllegalArgumentException("--stop-at must be >= 0, got " + stopAt);
            if (batch < 1 || steps < 1 || saveEvery < 1 || logEvery < 1 || threads < 1)
                throw new IllegalArgumentException("batch, steps, save/log periods and threads must be >= 1");
            if (!(lr > 0) || warmup < 0 || !(gradClip > 0) || !(klWeight >= 0) || !(mseWeight >= 0) || !(chromaWeight >= 0))
                throw new IllegalArgumentException("bad lr / warmup / grad clip / KL weight");
        }
    }

    /** What a run did: where it stopped and how well the result reconstructs held-out clips. */
    public record Summary(long step, double seconds, double heldOutPsnrEma, double heldOutPsnrRaw, double lastTrainPsnr,
                          float[] latentMean, float[] latentStd) {}

    private VaeTraining() {}

    /** Registers every tensor of {@code values} under its reference name, with the same tensor of {@code grads}. */
    public static void registerParams(ParamSet set, VaeWeights values, VaeWeights grads) {
        List<WanVaeCheckpoint.NamedTensor> v = WanVaeCheckpoint.tensors(values), g = WanVaeCheckpoint.tensors(grads);
        for (int i = 0; i < v.size(); i++) set.add(v.get(i).key(), v.get(i).data(), g.get(i).data(), v.get(i).shape());
    }

    /** The weights of {@code dir}/vae, refused unless their {@code vae_config.json} is {@code cfg}. */
    static VaeWeights initialWeights(Path dir, VaeConfig cfg) {
        Path vae = dir.resolve("vae");
        VaeConfig theirs;
        try {
            theirs = VaeConfig.fromJson(vae.resolve("vae_config.json"));
        } catch (IOException e) {
            throw new UncheckedIOException("--init " + vae + ": cannot read vae_config.json: " + e.getMessage(), e);
        }
        if (!theirs.equals(cfg))
            throw new IllegalArgumentException("--init " + vae + " holds a VAE with " + configJson(theirs) + ", this run is "
                    + configJson(cfg) + " (set --dim / --z-dim / --res-blocks to match)");
        return WanVaeCheckpoint.load(vae.resolve("model.safetensors"), cfg);
    }

    /** {@link VaeWeights#random}, except the log-variance half of {@code conv1}: zero weights, {@link #LOGVAR_INIT}. */
    private static VaeWeights randomWeights(VaeConfig cfg, long seed) {
        VaeWeights w = VaeWeights.random(cfg, seed);
        VaeWeights.Conv moments = w.conv1();
        int z = cfg.zDim();
        java.util.Arrays.fill(moments.weight(), z * moments.depth(), 2 * z * moments.depth(), 0f);
        java.util.Arrays.fill(moments.bias(), z, 2 * z, LOGVAR_INIT);
        return w;
    }

    /** Learning rate at {@code step}: linear warm-up, then cosine from {@code lr} down to {@code lr / 10}. */
    static double lr(Options o, long step) {
        if (step < o.warmup()) return o.lr() * (step + 1) / o.warmup();
        double p = Math.min(1.0, (double) (step - o.warmup()) / Math.max(1, o.steps() - o.warmup()));
        return o.lr() * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)));
    }

    /** Clip {@code index} of {@code stream} as channels-last {@code [T, H, W, 3]} in [-1, 1]. */
    static void clip(ClipStream stream, long index, float[] x) {
        Sample s = stream.sample(index);
        int off = 0;
        for (Frame f : s.frames()) {
            byte[] rgb = f.rgb();
            for (byte b : rgb) x[off++] = (b & 0xFF) / 127.5f - 1f;
        }
    }

    /** The {@code crop x crop} window at ({@code y0}, {@code x0}) of clip {@code index}, channels-last, in [-1, 1]. */
    static void crop(ClipStream stream, long index, int crop, int y0, int x0, float[] x) {
        Sample s = stream.sample(index);
        int off = 0;
        for (Frame f : s.frames()) {
            byte[] rgb = f.rgb();
            for (int y = y0; y < y0 + crop; y++)
                for (int i = (y * f.width() + x0) * 3, end = i + crop * 3; i < end; i++) x[off++] = (rgb[i] & 0xFF) / 127.5f - 1f;
        }
    }

    /** Fills {@code a} with standard normal draws. */
    static void gaussian(SplittableRandom r, float[] a) {
        for (int i = 0; i < a.length; i++) {
            double u = r.nextDouble(), v = r.nextDouble();
            a[i] = (float) (Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v));
        }
    }

    /** Runs (or resumes) the training described by {@code o}, printing progress to {@code log}. */
    public static Summary run(Options o, PrintStream log) {
        VaeConfig cfg = o.vae();
        // a resumed run overwrites these below
        VaeWeights w = o.init() != null ? initialWeights(o.init(), cfg) : randomWeights(cfg, o.seed());
        VaeWeights g = VaeWeights.zeros(cfg);
        ParamSet params = new ParamSet();
        registerParams(params, w, g);
        AdamW adam = new AdamW(params, new AdamWConfig(0.9, 0.999, 1e-8, o.weightDecay()));
        Ema ema = new Ema(params, o.emaDecay());
        Path ckRoot = o.out().resolve("checkpoints");
        long step = 0;
        Optional<Path> latest = TrainCheckpoint.latest(ckRoot);
        if (latest.isPresent()) {
            SavedCheckpoint ck = TrainCheckpoint.load(latest.get());
            String saved = ck.meta().path("vae_config").toString(), now = configJson(cfg).toString();
            if (!saved.equals(now))
                throw new IllegalArgumentException(latest.get() + " was trained with vae_config " + saved + ", not " + now
                        + " (use another --out)");
            ck.restoreParams(PART, params);
            ck.restoreOptimizer(PART, adam);
            ck.restoreEma(PART, ema);
            step = ck.step();
            log.printf("resuming from %s (step %d)%n", latest.get(), step);
        }
        log.printf("vae training: dim %d, z %d, dim_mult %s, %d res blocks; %d parameters; clips %dx%dx%d, batch %d, "
                        + "crops %d, lr %.2g (warm-up %d, cosine to %d steps), KL weight %.1g, clip %.1f, EMA %.4f, %d threads%n",
                cfg.dim(), cfg.zDim(), cfg.dimMult(), cfg.numResBlocks(), params.count(), o.frames(), o.size(), o.size(),
                o.batch(), o.crop(), o.lr(), o.warmup(), o.steps(), o.klWeight(), o.gradClip(), o.emaDecay(), o.threads());
        if (o.init() != null && step == 0) log.printf("starting from the weights of %s%n", o.init().resolve("vae"));
        ClipStream train = new ClipStream(o.seed(), ClipStream.Options.of(o.size(), o.frames()));
        long t0 = System.nanoTime(), deadline = o.minutes() > 0 ? t0 + (long) (o.minutes() * 60e9) : Long.MAX_VALUE;
        double lastPsnr = Double.NaN;
        try (Parallel par = new Parallel(o.threads())) {
            VaeKernels k = VaeKernels.fast(par);
            int side = o.crop() == 0 ? o.size() : o.crop();
            ClipWorker[] workers = ClipWorker.team(o, w, g, k, side);
            if (workers.length > 1) log.printf("threads take whole clips: %d at a time%n", workers.length);
            double sumLoss = 0, sumPsnr = 0, sumNorm = 0;
            int logged = 0;
            long tLog = System.nanoTime();
            long last = o.stopAt() > 0 ? Math.min(o.stopAt(), o.steps()) : o.steps();
            while (step < last && System.nanoTime() < deadline) {
                params.zeroGrad();
                double[] lossAndPsnr = accumulateBatch(o, train, step, side, workers, par);
                sumLoss += lossAndPsnr[0];
                sumPsnr += lossAndPsnr[1];
                double norm = Trainer.applyUpdate("vae", step, params, o.gradClip(), adam, lr(o, step), ema);
                step++;
                sumNorm += norm;
                logged++;
                if (step % o.logEvery() == 0 || step == o.steps()) {
                    double now = System.nanoTime(), perStep = (now - tLog) / 1e9 / logged;
                    lastPsnr = sumPsnr / (logged * o.batch());
                    log.printf("step %6d/%d  loss %.4f  psnr %.2f dB  |g| %.3f  lr %.2e  %.2f s/step  %s elapsed%n", step,
                            o.steps(), sumLoss / (logged * o.batch()), lastPsnr, sumNorm / logged, lr(o, step - 1),
                            perStep, hms((now - t0) / 1e9));
                    sumLoss = sumPsnr = sumNorm = 0;
                    logged = 0;
                    tLog = System.nanoTime();
                }
                if (step % o.saveEvery() == 0) save(o, step, params, adam, ema, ckRoot, log);
            }
            save(o, step, params, adam, ema, ckRoot, log);
            // The EMA weights are what ships; the raw weights are evaluated too, for the record.
            VaeWeights shipped = VaeWeights.zeros(cfg);
            ParamSet shippedSet = new ParamSet();
            registerParams(shippedSet, shipped, VaeWeights.zeros(cfg));
            ema.copyTo(shippedSet);
            double psnrEma = heldOutPsnr(o, shipped, k), psnrRaw = heldOutPsnr(o, w, k);
            float[][] stats = latentStats(o, shipped, k, train);
            double seconds = (System.nanoTime() - t0) / 1e9;
            log.printf("held-out PSNR over %d clips: EMA %.2f dB, raw %.2f dB%n", o.evalClips(), psnrEma, psnrRaw);
            Summary s = new Summary(step, seconds, psnrEma, psnrRaw, lastPsnr, stats[0], stats[1]);
            export(o, shipped, s);
            log.printf("wrote %s (step %d, %s this run)%n", o.out().resolve("vae"), step, hms(seconds));
            return s;
        }
    }

    /**
     * Step {@code step}'s batch: every clip's loss and gradient, the gradients summed into worker 0's arrays (the
     * trained parameters' own, zeroed by the caller); returns the summed loss and PSNR.
     */
    static double[] accumulateBatch(Options o, ClipStream train, long step, int side, ClipWorker[] workers, Parallel par) {
        int nWorkers = workers.length;
        double[] lossOf = new double[o.batch()], psnrOf = new double[o.batch()];
        par.forEach(nWorkers, wi -> {
            ClipWorker cw = workers[wi];
            if (wi > 0) cw.zeroGrad();
            for (int b = wi; b < o.batch(); b += nWorkers) {
                long idx = step * o.batch() + b;
                if (side == o.size()) {
                    clip(train, idx, cw.x);
                } else {
                    SplittableRandom pos = StepRng.of(o.seed(), StepRng.DATA, idx);
                    crop(train, idx, side, pos.nextInt(o.size() - side + 1), pos.nextInt(o.size() - side + 1), cw.x);
                }
                gaussian(StepRng.of(o.seed(), StepRng.NOISE, idx), cw.noise);
                VaeLoss l = cw.lossAndGradient(o);
                lossOf[b] = l.loss();
                psnrOf[b] = l.psnr();
            }
        });
        for (int wi = 1; wi < nWorkers; wi++) workers[wi].addGradTo(workers[0]);   // fixed order: same sum every run
        double loss = 0, psnr = 0;
        for (int b = 0; b < o.batch(); b++) {
            loss += lossOf[b];
            psnr += psnrOf[b];
        }
        return new double[] {loss, psnr};
    }

    /** One clip's forward and backward at a time, with its own activations, buffers and gradient arrays. */
    static final class ClipWorker {
        final WanVaeTraining tr;
        final VaeKernels kernels;
        final VaeWeights grads;
        final GradientArrays gradArrays = new GradientArrays();
        final float[] x, noise, dRecon, dMu, dLv;

        /**
         * min(threads, batch) workers. One clip's activations are too small to split each operation well over threads,
         * so with several threads each takes whole clips of the batch with serial kernels; worker 0 accumulates into
         * {@code g}, the trained parameters' gradients; a single worker keeps the kernels {@code k} of all threads.
         */
        static ClipWorker[] team(Options o, VaeWeights w, VaeWeights g, VaeKernels k, int side) {
            int n = Math.min(o.threads(), o.batch());
            ClipWorker[] team = new ClipWorker[n];
            for (int i = 0; i < n; i++)
                team[i] = new ClipWorker(w, i == 0 ? g : VaeWeights.zeros(w.config()), n == 1 ? k : VaeKernels.fast(Parallel.serial()),
                        o.frames(), side);
            return team;
        }

        ClipWorker(VaeWeights w, VaeWeights grads, VaeKernels kernels, int frames, int side) {
            this.tr = new WanVaeTraining(w, frames, side, side);
            this.kernels = kernels;
            this.grads = grads;
            for (WanVaeCheckpoint.NamedTensor t : WanVaeCheckpoint.tensors(grads)) gradArrays.add(t.data());
            int n = (int) tr.videoShape().size(), m = (int) tr.latentShape().size();
            x = new float[n];
            noise = new float[m];
            dRecon = new float[n];
            dMu = new float[m];
            dLv = new float[m];
        }

        /** Forward of {@link #x} with {@link #noise}, the loss, and its gradient accumulated into {@link #grads}. */
        VaeLoss lossAndGradient(Options o) {
            tr.forward(kernels, x, noise);
            java.util.Arrays.fill(dRecon, 0f);
            java.util.Arrays.fill(dMu, 0f);
            java.util.Arrays.fill(dLv, 0f);
            VaeLoss l = VaeLoss.compute(tr.recon(), x, x.length, tr.mu(), tr.logvar(), noise.length, o.klWeight(),
                    o.mseWeight(), o.chromaWeight(), 1.0 / o.batch(), dRecon, dMu, dLv);
            tr.backward(kernels, dRecon, dMu, dLv, grads);
            return l;
        }

        void zeroGrad() {
            gradArrays.zero();
        }

        void addGradTo(ClipWorker into) {
            gradArrays.addTo(into.gradArrays);
        }
    }

    private static void save(Options o, long step, ParamSet params, AdamW adam, Ema ema, Path root, PrintStream log) {
        TrainCheckpoint ck = TrainCheckpoint.at(step).params(PART, params).optimizer(PART, adam).ema(PART, ema)
                .seed("train", o.seed());
        ck.meta().put("stage", "vae");
        ck.meta().set("vae_config", configJson(o.vae()));
        log.printf("checkpoint %s%n", ck.saveUnder(root, 2));
    }

    /** Mean PSNR of deterministic reconstructions ({@code z = mu}, clamped to [-1, 1]) of the held-out clips. */
    static double heldOutPsnr(Options o, VaeWeights w, VaeKernels k) {
        ClipStream held = new ClipStream(o.seed() ^ HELD_OUT, ClipStream.Options.of(o.size(), o.frames()));
        WanVaeTraining tr = new WanVaeTraining(w, o.frames(), o.size(), o.size());
        float[] x = new float[(int) tr.videoShape().size()];
        double sum = 0;
        for (int i = 0; i < o.evalClips(); i++) {
            clip(held, i, x);
            tr.forward(k, x, null);
            float[] r = tr.recon();
            double se = 0;
            for (int j = 0; j < x.length; j++) {
                double d = Math.clamp(r[j], -1f, 1f) - x[j];
                se += d * d;
            }
            sum += 10 * Math.log10(4.0 / Math.max(se / x.length, 1e-12));
        }
        return sum / Math.max(1, o.evalClips());
    }

    /** Per-channel mean and std of mu over the first {@code statsClips} training clips: {@code {mean, std}}. */
    static float[][] latentStats(Options o, VaeWeights w, VaeKernels k, ClipStream train) {
        WanVaeTraining tr = new WanVaeTraining(w, o.frames(), o.size(), o.size());
        int z = o.vae().zDim();
        double[] s1 = new double[z], s2 = new double[z];
        long count = 0;
        float[] x = new float[(int) tr.videoShape().size()];
        for (int i = 0; i < o.statsClips(); i++) {
            clip(train, i, x);
            tr.forward(k, x, null);
            float[] mu = tr.mu();
            for (int j = 0; j < mu.length; j++) {
                s1[j % z] += mu[j];
                s2[j % z] += (double) mu[j] * mu[j];
            }
            count += mu.length / z;
        }
        float[] mean = new float[z], std = new float[z];
        for (int c = 0; c < z; c++) {
            double mc = s1[c] / count;
            mean[c] = (float) mc;
            std[c] = (float) Math.sqrt(Math.max(s2[c] / count - mc * mc, 1e-12));
        }
        return new float[][] {mean, std};
    }

    /** {@code vae_config.json} of {@code c} (the reference keys). */
    static ObjectNode configJson(VaeConfig c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("dim", c.dim());
        n.put("z_dim", c.zDim());
        ArrayNode mult = n.putArray("dim_mult");
        c.dimMult().forEach(mult::add);
        n.put("num_res_blocks", c.numResBlocks());
        ArrayNode attn = n.putArray("attn_scales");
        c.attnScales().forEach(attn::add);
        ArrayNode down = n.putArray("temperal_downsample");
        c.temperalDownsample().forEach(down::add);
        return n;
    }

    private static void export(Options o, VaeWeights w, Summary s) {
        try {
            Path dir = o.out().resolve("vae");
            Files.createDirectories(dir);
            Path tmp = dir.resolve("model.safetensors.tmp");
            WanVaeCheckpoint.save(w, tmp);
            Files.move(tmp, dir.resolve("model.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("vae_config.json").toFile(), configJson(o.vae()));
            ObjectNode st = JSON.createObjectNode();
            ArrayNode mean = st.putArray("mean"), std = st.putArray("std");
            for (float v : s.latentMean()) mean.add(v);
            for (float v : s.latentStd()) std.add(v);
            JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("latent_stats.json").toFile(), st);
            ObjectNode sum = JSON.createObjectNode();
            sum.put("step", s.step());
            sum.put("seconds_this_run", s.seconds());
            sum.put("held_out_psnr_ema_db", s.heldOutPsnrEma());
            sum.put("held_out_psnr_raw_db", s.heldOutPsnrRaw());
            sum.put("held_out_clips", o.evalClips());
            sum.put("last_train_psnr_db", s.lastTrainPsnr());
            sum.put("clip", o.frames() + "x" + o.size() + "x" + o.size());
            sum.put("crop", o.crop());
            sum.put("batch", o.batch());
            sum.put("lr", o.lr());
            sum.put("kl_weight", o.klWeight());
            sum.put("mse_weight", o.mseWeight());
            sum.put("chroma_weight", o.chromaWeight());
            sum.put("ema_decay", o.emaDecay());
            sum.put("seed", o.seed());
            sum.set("vae_config", configJson(o.vae()));
            JSON.writerWithDefaultPrettyPrinter().writeValue(o.out().resolve("train_summary.json").toFile(), sum);
        } catch (IOException e) {
            throw new UncheckedIOException(o.out() + ": writing the trained VAE failed", e);
        }
    }

    static String hms(double s) {
        long t = Math.round(s);
        return String.format("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60);
    }
}

package longlive.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import longlive.dit.DitConfig;
import longlive.dit.DitKernels;
import longlive.dit.DitParams;
import longlive.dit.DitTape;
import longlive.dit.DitTraining;
import longlive.dit.DitWeights;
import longlive.io.UmT5Checkpoint;
import longlive.io.WanDitCheckpoint;
import longlive.io.WanVaeCheckpoint;
import longlive.kernel.Parallel;
import longlive.pipeline.RandomModel;
import longlive.sampling.FlowMatchSchedule;
import longlive.stream.InferenceConfig;
import longlive.text.T5Backward;
import longlive.text.T5Config;
import longlive.text.T5Kernels;
import longlive.text.T5Tape;
import longlive.text.T5Weights;
import longlive.text.tokenizer.CaptionTokenizerBuilder;
import longlive.text.tokenizer.TokenizedPrompt;
import longlive.text.tokenizer.UnigramTokenizer;
import longlive.vae.LatentStats;
import longlive.vae.VaeConfig;
import longlive.vae.VaeKernels;
import longlive.vae.VaeWeights;
import longlive.vae.WanVae;
import longlive.world.ClipStream;
import longlive.world.Script;

/**
 * Training stages 2 and 3 together: a bidirectional teacher DiT trained with flow matching on VAE latents of
 * Shapes-world clips, conditioned through a small umT5 encoder that learns jointly (the prompt embedding's gradient
 * from the DiT's cross-attention flows back into the encoder) and is frozen afterwards, as the real umT5 is for
 * every later stage. Captions are dropped to "" with probability {@code captionDropout} so that the teacher can be
 * guided with classifier-free guidance.
 *
 * <p>Per sample: one timestep index for the whole clip ({@link TimestepSampler#flowIndices} with one block, the
 * bidirectional teacher's draw), {@code x_t = (1−σ)x0 + σε}, target {@code ε − x0}, the reference's bell-shaped
 * weight ({@link FlowMatchLoss}). Randomness derives from (seed, step, sample) ({@link StepRng}), so a resumed run
 * continues bit for bit.
 *
 * <p>Output: {@code RUN/teacher/}, a complete model directory (EMA weights; the VAE copied from stage 1; the
 * tokenizer built from the world's captions), and {@code RUN/teacher_summary.json} with held-out flow losses.
 */
public final class TeacherTraining implements Trainer.ExportingStage {
    static final String PART = "teacher";
    /**
     * Held-out timestep indices at which the summary reports the flow loss. The table descends, so these run from high
     * to low noise (t = 978 … 357 at shift 5, 900 … 100 at shift 1), and each loss carries its t's bell weight.
     */
    static final int[] EVAL_INDICES = {100, 300, 500, 700, 900};
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param vaeRun         a stage-1 run directory (holds {@code vae/})
     * @param runDir         this stage's run directory
     * @param dit            the teacher's architecture ({@code in_dim}, {@code out_dim}, {@code text_dim} must match
     *                       the VAE and text encoder; see {@link #ditConfig})
     * @param t5             the text encoder's architecture; {@code vocab_size} is replaced by the tokenizer's
     * @param size           clip height and width
     * @param latentFrames   latent frames per clip (video frames {@code 1 + 4(F−1)})
     * @param clips          distinct training clips (encoded once)
     * @param captionDropout probability of the unconditional prompt
     * @param shift          the flow-matching schedule's shift (the reference's {@code timestep_shift})
     * @param objectWeight   extra loss weight on the latent cells the world's objects cover ({@link ObjectWeights});
     *                       0 is the reference's loss
     */
    public record Options(Path vaeRun, Path runDir, DitConfig dit, T5Config t5, int size, int latentFrames, int clips,
                          int batch, double lr, int warmup, long steps, double gradClip, double emaDecay,
                          double weightDecay, double captionDropout, double shift, double objectWeight, long seed,
                          int evalClips, int threads) {
        public Options {
            if (latentFrames < 5) throw new IllegalArgumentException("--latent-frames must be >= 5 (clips of >= 17 frames)");
            if (clips < 1 || batch < 1 || evalClips < 0 || threads < 1)
                throw new IllegalArgumentException("clips, batch and threads must be >= 1");
            if (!(lr > 0) || warmup < 0 || !(gradClip > 0) || !(emaDecay >= 0 && emaDecay < 1))
                throw new IllegalArgumentException("bad lr / warm-up / grad clip / EMA decay");
            if (!(captionDropout >= 0 && captionDropout < 1)) throw new IllegalArgumentException("--caption-dropout must be in [0, 1)");
            if (!(objectWeight >= 0 && objectWeight <= 100)) throw new IllegalArgumentException("--object-weight must be in [0, 100]");
        }

        int videoFrames() {
            return 1 + 4 * (latentFrames - 1);
        }
    }

    /**
     * The teacher's DiT config for a VAE with {@code zDim} channels and a text encoder of width {@code textDim}, with a
     * square spatial patch of {@code patch} latent cells (the reference's is 2). At 64×64 pixels the 8× VAE leaves 8×8
     * latents, which patch 2 turns into only 4×4 tokens a frame; patch 1 gives the DiT every latent cell (4× the
     * tokens) for small objects and their motion.
     */
    public static DitConfig ditConfig(int dim, int ffnDim, int heads, int layers, int zDim, int textLen, int textDim,
                                      int patch) {
        return new DitConfig("t2v", dim, ffnDim, Math.max(32, dim / 2), heads, layers, zDim, zDim, textLen, textDim,
                1, patch, patch, 1e-6, true, true);
    }

    private final Options o;
    private final PrintStream log;
    private final Parallel par;
    private final UnigramTokenizer tokenizer;
    private final Path tokenizerFile;
    private final VaeConfig vaeConfig;
    private final LatentStats stats;
    private final LatentClips train, heldOut;
    /** Per clip, {@link ObjectWeights#cellWeights}; null with {@code objectWeight} 0 (the reference's plain loss). */
    private final float[][] cellWeights;
    private final DitConfig ditConfig;
    private final T5Config t5Config;
    private final DitWeights dit;
    private final T5Weights t5;
    private final ParamSet params;
    private final AdamW adam;
    private final Ema ema;
    private final FlowMatchLoss flow;
    /** One per concurrently processed sample; worker 0 accumulates into {@link #params}' own gradients. */
    private final SampleWorker[] workers;

    public TeacherTraining(Options o, PrintStream log) throws IOException {
        this.o = o;
        this.log = log;
        this.par = new Parallel(o.threads());
        Files.createDirectories(o.runDir());
        tokenizerFile = o.runDir().resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerFile)) {
            CaptionTokenizerBuilder.Vocabulary v = CaptionTokenizerBuilder.buildWorldTokenizer(o.seed(), 4000, tokenizerFile);
            log.printf("tokenizer: %d pieces built from the world's captions -> %s%n", v.size(), tokenizerFile);
        }
        tokenizer = UnigramTokenizer.load(tokenizerFile, o.dit().textLen());
        T5Config tc = o.t5();
        t5Config = new T5Config(tokenizer.vocabSize(), tc.dim(), tc.dimAttn(), tc.dimFfn(), tc.numHeads(), tc.numLayers(),
                tc.numBuckets(), tc.sharedPos());

        Path vaeDir = o.vaeRun().resolve("vae");
        vaeConfig = VaeConfig.fromJson(vaeDir.resolve("vae_config.json"));
        stats = LatentStats.fromJson(vaeDir.resolve("latent_stats.json"));
        VaeWeights vw = WanVaeCheckpoint.load(vaeDir.resolve("model.safetensors"), vaeConfig);
        ditConfig = o.dit();
        if (ditConfig.inDim() != vaeConfig.zDim() || ditConfig.outDim() != vaeConfig.zDim())
            throw new IllegalArgumentException("teacher in/out dim " + ditConfig.inDim() + "/" + ditConfig.outDim()
                    + " must equal the VAE's z_dim " + vaeConfig.zDim());
        if (ditConfig.textDim() != t5Config.dim())
            throw new IllegalArgumentException("teacher text_dim " + ditConfig.textDim() + " must equal the text encoder's dim " + t5Config.dim());

        WanVae vae = new WanVae(vw, VaeKernels.fast(par));
        ClipStream.Options clipOpt = new ClipStream.Options(o.size(), o.size(), o.videoFrames(), 0.0, Script.DEFAULT_FPS);
        String origin = "vae-crc32=" + crc(vaeDir.resolve("model.safetensors")) + ";clips=" + clipOpt + ";seed=" + o.seed();
        ClipBatchSource src = new ClipBatchSource(o.seed(), clipOpt, 0.0);
        train = LatentClips.loadOrEncode(o.runDir().resolve("latents.bin"), origin, src::clip, o.clips(), vae, stats, par, log);
        cellWeights = o.objectWeight() == 0 ? null : objectWeights(src, train, o, log);
        ClipStream held = new ClipStream(ClipBatchSource.HELD_OUT_SEED, clipOpt);
        heldOut = o.evalClips() == 0 ? null : LatentClips.loadOrEncode(o.runDir().resolve("latents-heldout.bin"),
                origin + ";held-out", i -> ClipBatchSource.asBatch(i, held.sample(i), o.size()), o.evalClips(), vae, stats, par, log);

        dit = DitWeights.random(ditConfig, o.seed() + 11, par);
        zeroHead(dit);
        DitWeights ditGrad = DitTraining.zerosLike(dit);
        t5 = T5Weights.random(t5Config, o.seed() + 12, par);
        T5Weights t5Grad = T5Weights.zeros(t5Config);
        params = new ParamSet();
        registerGradients(ditGrad, t5Grad, (name, v, g, shape) -> params.add(name, v, g, shape));
        adam = new AdamW(params, new AdamWConfig(0.9, 0.999, 1e-8, o.weightDecay()));
        ema = new Ema(params, o.emaDecay());
        flow = new FlowMatchLoss(new FlowMatchSchedule(o.shift()));
        // At this scale one sample's matrices are too small to split well over threads (two threads ran slower than
        // one), so several threads take whole samples of the batch instead, each with serial kernels.
        int nWorkers = Math.min(o.threads(), o.batch());
        workers = new SampleWorker[nWorkers];
        for (int i = 0; i < nWorkers; i++)
            workers[i] = i == 0 ? new SampleWorker(nWorkers == 1 ? par : Parallel.serial(), ditGrad, t5Grad)
                    : new SampleWorker(Parallel.serial(), DitTraining.zerosLike(dit), T5Weights.zeros(t5Config));
        int fsl = ditConfig.frameSeqLen(train.height(), train.width());
        log.printf("teacher: DiT dim %d, %d layers, %d heads (%d tokens per clip); text encoder dim %d, %d layers, vocab %d; "
                        + "%s parameters; latents %dx%dx%dx%d from %d clips; batch %d, lr %.2g, caption dropout %.2f, %d threads (%s)%n",
                ditConfig.dim(), ditConfig.numLayers(), ditConfig.numHeads(), fsl * train.frames(), t5Config.dim(),
                t5Config.numLayers(), t5Config.vocabSize(), params.count(), train.frames(), train.channels(), train.height(),
                train.width(), train.count(), o.batch(), o.lr(), o.captionDropout(), o.threads(),
                nWorkers == 1 ? "inside each operation" : nWorkers + " samples at a time");
    }

    /** Every training clip's cell weights, from its script (rendering only where the objects are). */
    private static float[][] objectWeights(ClipBatchSource src, LatentClips train, Options o, PrintStream log) {
        long t0 = System.nanoTime();
        int cell = o.size() / train.height();
        float[][] w = new float[train.count()][];
        double covered = 0;
        for (int i = 0; i < w.length; i++) {
            w[i] = ObjectWeights.cellWeights(src.script(i), o.size(), train.frames(), cell, o.objectWeight());
            for (float v : w[i]) covered += v > 1 ? 1 : 0;
        }
        log.printf("object weights: 1 + %.3g x coverage on %.1f %% of the latent cells (%d clips, %.1f s)%n",
                o.objectWeight(), 100 * covered / ((double) w.length * w[0].length), w.length, (System.nanoTime() - t0) / 1e9);
        return w;
    }

    /** Registers the DiT's and text encoder's parameters, with gradient arrays {@code ditGrad}/{@code t5Grad}, in one fixed order. */
    private void registerGradients(DitWeights ditGrad, T5Weights t5Grad, DitParams.Sink sink) {
        DitParams.register(dit, ditGrad, (name, v, g, shape) -> sink.add("dit." + name, v, g, shape));
        ParamSet textParams = new ParamSet();
        T5Backward.registerParams(textParams, t5, t5Grad);
        for (Param p : textParams) sink.add("text." + p.name(), p.value(), p.grad(), p.shape());
    }

    /** Wan's init zeroes the output head, so the untrained model predicts zero velocity. */
    static void zeroHead(DitWeights w) {
        Arrays.fill(w.head().weight(), 0f);
        Arrays.fill(w.head().bias(), 0f);
    }

    private static String crc(Path f) throws IOException {
        CRC32 c = new CRC32();
        c.update(Files.readAllBytes(f));
        return Long.toHexString(c.getValue());
    }

    @Override
    public String name() {
        return PART;
    }

    double lr(long step) {
        if (step < o.warmup()) return o.lr() * (step + 1) / o.warmup();
        double p = Math.min(1.0, (double) (step - o.warmup()) / Math.max(1, o.steps() - o.warmup()));
        return o.lr() * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p)));
    }

    @Override
    public Trainer.StepResult step(long step) {
        double loss = accumulateGradients(step), lr = lr(step);
        double norm = Trainer.applyUpdate("teacher", step, params, o.gradClip(), adam, lr, ema);
        return new Trainer.StepResult(loss, norm, lr);
    }

    /** Step {@code step}'s batch: forward and backward of every sample, gradients summed into {@link #params}; the mean loss. */
    double accumulateGradients(long step) {
        params.zeroGrad();
        double[] losses = new double[o.batch()];
        par.forEach(workers.length, w -> {
            SampleWorker worker = workers[w];
            if (w > 0) worker.zeroGrad();
            for (int b = w; b < o.batch(); b += workers.length) {
                long draw = step * o.batch() + b;
                int clip = StepRng.of(o.seed(), StepRng.DATA, draw).nextInt(train.count());
                boolean drop = StepRng.of(o.seed(), StepRng.DROPOUT, draw).nextDouble() < o.captionDropout();
                train.copy(clip, worker.x0);
                int[] idx = TimestepSampler.flowIndices(StepRng.of(o.seed(), StepRng.TIMESTEP, draw), train.frames(), train.frames());
                VaeTraining.gaussian(StepRng.of(o.seed(), StepRng.NOISE, draw), worker.noise);
                losses[b] = worker.sample(drop ? "" : train.caption(clip), idx, cellWeights == null ? null : cellWeights[clip],
                        1.0 / o.batch(), true);
            }
        });
        for (int w = 1; w < workers.length; w++) workers[w].addGradTo(workers[0]);   // fixed order: same sum every run
        double loss = 0;
        for (double l : losses) loss += l;
        return loss / o.batch();
    }

    /** What one sample's forward and backward need of its own: kernels, tapes, buffers, gradient arrays. */
    private final class SampleWorker {
        final DitTraining ditTrain;
        final T5Backward t5Train;
        final DitTape tape;
        final T5Tape t5Tape;
        final DitWeights ditGrad;
        final T5Weights t5Grad;
        final GradientArrays grads = new GradientArrays();
        final float[] x0, noise, xt, pred, dPred, dPrompt, timesteps;

        SampleWorker(Parallel kernelThreads, DitWeights ditGrad, T5Weights t5Grad) {
            this.ditGrad = ditGrad;
            this.t5Grad = t5Grad;
            ditTrain = new DitTraining(dit, DitKernels.fast(kernelThreads));
            t5Train = new T5Backward(t5, T5Kernels.fast(kernelThreads));
            tape = new DitTape(ditConfig, train.frames(), ditConfig.frameSeqLen(train.height(), train.width()));
            t5Tape = new T5Tape(t5Config, ditConfig.textLen());
            registerGradients(ditGrad, t5Grad, (name, v, g, shape) -> grads.add(g));
            int n = train.clipSize();
            x0 = new float[n];
            noise = new float[n];
            xt = new float[n];
            pred = new float[n];
            dPred = new float[n];
            dPrompt = new float[ditConfig.textLen() * ditConfig.textDim()];
            timesteps = new float[train.frames()];
        }

        void zeroGrad() {
            grads.zero();
        }

        void addGradTo(SampleWorker into) {
            grads.addTo(into.grads);
        }

        /**
         * Flow loss of {@code x0} (in the field) under {@code caption} at per-frame table indices {@code idx}, its cells
         * weighted by {@code cellWeight} (nullable: unweighted); with
         * {@code backward}, accumulates gradients scaled by {@code scale} into this worker's gradient arrays.
         */
        double sample(String caption, int[] idx, float[] cellWeight, double scale, boolean backward) {
            TokenizedPrompt tp = tokenizer.encode(caption);
            float[] prompt = t5Train.forward(t5Tape, tp.ids(), tp.mask());
            flow.noisyInput(x0, noise, idx, train.clipSize() / train.frames(), xt);
            for (int f = 0; f < timesteps.length; f++) timesteps[f] = flow.timestep(idx[f]);
            ditTrain.forward(tape, xt, 0, train.frames(), train.height(), train.width(), timesteps, prompt,
                    ditConfig.textLen(), null, pred, 0);
            double l = flow.loss(pred, x0, noise, idx, train.clipSize() / train.frames(), cellWeight,
                    train.height() * train.width(), backward ? dPred : null);
            if (backward) {
                float s = (float) scale;
                for (int i = 0; i < dPred.length; i++) dPred[i] *= s;
                Arrays.fill(dPrompt, 0f);
                ditTrain.backward(tape, dPred, 0, ditGrad, null, 0, null, 0, dPrompt);
                t5Train.backward(t5Tape, dPrompt, t5Grad);
            }
            return l;
        }
    }

    /** Mean held-out flow loss at each of {@link #EVAL_INDICES} (current weights; fixed noise per clip). */
    double[] heldOutLoss() {
        double[] out = new double[EVAL_INDICES.length];
        if (heldOut == null) return out;
        int[] idx = new int[heldOut.frames()];
        for (int k = 0; k < EVAL_INDICES.length; k++) {
            Arrays.fill(idx, EVAL_INDICES[k]);
            double sum = 0;
            SampleWorker w = workers[0];
            for (int i = 0; i < heldOut.count(); i++) {
                heldOut.copy(i, w.x0);
                VaeTraining.gaussian(new SplittableRandom(1000L * i + k), w.noise);
                sum += w.sample(heldOut.caption(i), idx, null, 0, false);   // unweighted: comparable across runs
            }
            out[k] = sum / heldOut.count();
        }
        return out;
    }

    @Override
    public TrainCheckpoint checkpoint(long stepsDone) {
        TrainCheckpoint ck = TrainCheckpoint.at(stepsDone).params(PART, params).optimizer(PART, adam).ema(PART, ema)
                .seed("train", o.seed());
        ck.meta().put("stage", PART);
        ck.meta().put("object_weight", o.objectWeight());
        ck.meta().put("shift", o.shift());
        ck.meta().set("dit_config", RandomModel.ditJson(ditConfig));
        ck.meta().set("t5_config", RandomModel.t5Json(t5Config));
        return ck;
    }

    @Override
    public void restore(SavedCheckpoint ck) {
        String want = RandomModel.ditJson(ditConfig).toString() + RandomModel.t5Json(t5Config);
        String saved = ck.meta().path("dit_config").toString() + ck.meta().path("t5_config");
        if (!want.equals(saved))
            throw new IllegalArgumentException(ck.dir() + " was trained with " + saved + ", not " + want + " (use another run directory)");
        // a checkpoint from before --object-weight existed was trained with the plain loss; one from before the shift
        // was recorded is not checked
        requireSame(ck, "object_weight", "--object-weight", 0.0, o.objectWeight());
        requireSame(ck, "shift", "--shift", Double.NaN, o.shift());
        ck.restoreParams(PART, params);
        ck.restoreOptimizer(PART, adam);
        ck.restoreEma(PART, ema);
    }

    /**
     * Refuses to go on with a run under another value of a loss option than its checkpoint records: the steps before
     * and after would optimise different losses. {@code ifAbsent} is what a checkpoint without the key was trained
     * with, NaN when that is unknown (then it is not checked).
     */
    private static void requireSame(SavedCheckpoint ck, String key, String flag, double ifAbsent, double want) {
        double saved = ck.meta().path(key).asDouble(ifAbsent);
        if (!Double.isNaN(saved) && saved != want)
            throw new IllegalArgumentException(ck.dir() + " was trained with " + flag + " " + saved + ", not " + want
                    + " (use another run directory, or the same " + flag + ")");
    }

    /**
     * Writes {@code RUN/teacher/} (EMA weights) and {@code RUN/teacher_summary.json}; returns the model directory.
     * The raw weights are restored afterwards, so training could go on.
     */
    @Override
    public Path export(long steps, double seconds) throws IOException {
        double[] raw = heldOutLoss();
        double[] smooth;
        Path dir = o.runDir().resolve("teacher");
        try (Ema.Averaged averaged = ema.averagedIn()) {
            smooth = heldOutLoss();
            writeModel(dir, "shapes-teacher", "bidirectional flow-matching teacher (training stage 3): not a streaming model");
        }
        ObjectNode sum = JSON.createObjectNode();
        sum.put("steps", steps);
        sum.put("seconds_this_run", seconds);
        sum.put("held_out_clips", heldOut == null ? 0 : heldOut.count());
        var ix = sum.putArray("eval_timestep_indices");
        for (int v : EVAL_INDICES) ix.add(v);
        // the t each index means under this run's shift: teachers trained with other shifts compare only at equal t
        long[] evalT = Arrays.stream(EVAL_INDICES).mapToLong(v -> Math.round(flow.timestep(v))).toArray();
        sum.put("shift", o.shift());
        var ts = sum.putArray("eval_timesteps");
        for (int v : EVAL_INDICES) ts.add(flow.timestep(v));
        var a = sum.putArray("held_out_flow_loss_ema");
        for (double v : smooth) a.add(v);
        var b = sum.putArray("held_out_flow_loss_raw");
        for (double v : raw) b.add(v);
        sum.put("batch", o.batch());
        sum.put("lr", o.lr());
        sum.put("caption_dropout", o.captionDropout());
        sum.put("object_weight", o.objectWeight());
        sum.put("clips", o.clips());
        sum.put("seed", o.seed());
        JSON.writerWithDefaultPrettyPrinter().writeValue(o.runDir().resolve("teacher_summary.json").toFile(), sum);
        log.printf("held-out flow loss at t-index %s (t = %s at shift %s): EMA %s, raw %s%n", Arrays.toString(EVAL_INDICES),
                Arrays.toString(evalT), o.shift(), fmt(smooth), fmt(raw));
        log.printf("wrote %s%n", dir);
        return dir;
    }

    private static String fmt(double[] v) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) s.append(i == 0 ? "" : ", ").append(String.format("%.4f", v[i]));
        return s.append(']').toString();
    }

    /** A complete model directory from the live weights: DiT, text encoder, tokenizer, and stage 1's VAE. */
    void writeModel(Path dir, String name, String note) throws IOException {
        Files.createDirectories(dir.resolve("dit"));
        Files.createDirectories(dir.resolve("text"));
        Files.createDirectories(dir.resolve("vae"));
        ObjectNode model = JSON.createObjectNode();
        model.put("name", name);
        model.put("video_height", o.size());
        model.put("video_width", o.size());
        model.put("note", note);
        RandomModel.writeJson(dir.resolve("model.json"), model);
        RandomModel.writeJson(dir.resolve("inference.json"), RandomModel.inferenceJson(smallInference()));
        RandomModel.writeJson(dir.resolve("dit/config.json"), RandomModel.ditJson(ditConfig));
        RandomModel.writeJson(dir.resolve("text/t5_config.json"), RandomModel.t5Json(t5Config));
        WanDitCheckpoint.save(dit, dir.resolve("dit/model.safetensors"));
        UmT5Checkpoint.save(t5, dir.resolve("text/model.safetensors"));
        Files.copy(tokenizerFile, dir.resolve("text/tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        Path vaeDir = o.vaeRun().resolve("vae");
        for (String f : new String[] {"vae_config.json", "model.safetensors", "latent_stats.json"})
            Files.copy(vaeDir.resolve(f), dir.resolve("vae").resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * The streaming schedule a model of this scale runs: LongLive's (3 latent frames per block, 4 warped steps from
     * 1000, shift 5, 3 sink frames) with the window scaled to the short clips: 9 frames = the sink, the previous
     * block and the block itself (LongLive: 12 = sink 3 + 9), relative RoPE so a stream can run forever.
     */
    static InferenceConfig smallInference() {
        return new InferenceConfig(3, new int[] {1000, 750, 500, 250}, true, 5.0, 9, 3, true, 0, longlive.dit.RopeMode.RELATIVE);
    }

    public DitWeights dit() {
        return dit;
    }

    public T5Weights textEncoder() {
        return t5;
    }

    public UnigramTokenizer tokenizer() {
        return tokenizer;
    }

    public ParamSet params() {
        return params;
    }

    /** Frees the worker threads. */
    @Override
    public void close() {
        par.close();
    }
}

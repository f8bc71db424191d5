package longlive.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import longlive.io.StateDict;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * AdamW, gradient clipping and EMA against torch 1.13 (tools/golden/make_train_cases.py): 5 steps on two tensors,
 * with per-step learning rates and gradient scales such that some steps clip and some do not.
 */
class OptimizerGoldenTest {
    private static final String[] NAMES = {"blocks.0.w", "blocks.0.b"};

    @ParameterizedTest
    @ValueSource(strings = {"optim_beta0", "optim_beta09"})
    void matchesTorch(String caseName) {
        try (StateDict g = TrainGolden.load(caseName)) {
            ParamSet set = new ParamSet();
            set.add(NAMES[0], TrainGolden.f(g, "init." + NAMES[0]).clone(), 4, 5);
            set.add(NAMES[1], TrainGolden.f(g, "init." + NAMES[1]).clone(), 7);
            double beta1 = caseName.equals("optim_beta0") ? 0.0 : 0.9;
            AdamW opt = new AdamW(set, new AdamWConfig(beta1, 0.999, 1e-8, 0.01));
            Ema ema = new Ema(set, 0.99);
            float[] lr = TrainGolden.f(g, "lr"), norm = TrainGolden.f(g, "norm");
            int clipped = 0;
            for (int step = 0; step < lr.length; step++) {
                for (String n : NAMES) System.arraycopy(TrainGolden.f(g, "step" + step + ".grad." + n), 0, set.get(n).grad(), 0, set.get(n).size());
                double before = set.clipGradNorm(3.0);
                assertEquals(norm[step], before, 1e-5 * norm[step], "grad norm at step " + step);
                if (before > 3.0) {
                    clipped++;
                    assertEquals(3.0, set.gradNorm(), 1e-5, "norm after clipping");
                }
                opt.step(lr[step]);
                ema.update();
                for (String n : NAMES) {
                    String at = caseName + " step " + step + " " + n;
                    assertTrue(TrainGolden.rel(set.get(n).value(), TrainGolden.f(g, "step" + step + ".value." + n)) < 1e-6, at + " value");
                    assertTrue(TrainGolden.rel(ema.shadow(n), TrainGolden.f(g, "step" + step + ".ema." + n)) < 1e-6, at + " ema");
                    assertTrue(TrainGolden.rel(opt.expAvg(n), TrainGolden.f(g, "step" + step + ".exp_avg." + n)) < 1e-6, at + " exp_avg");
                    assertTrue(TrainGolden.rel(opt.expAvgSq(n), TrainGolden.f(g, "step" + step + ".exp_avg_sq." + n)) < 1e-6, at + " exp_avg_sq");
                }
            }
            assertTrue(clipped >= 2 && clipped < lr.length, "the case must exercise both clipping and not clipping: " + clipped);
            assertEquals(lr.length, opt.steps());
        }
    }
}

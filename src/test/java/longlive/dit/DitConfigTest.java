package longlive.dit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class DitConfigTest {
    @Test
    void shippedWanConfigGetsWanDefaultsForMissingKeys() throws Exception {
        // the config.json shipped with Wan2.1-T2V-1.3B: no text_dim, patch_size, qk_norm, cross_attn_norm
        String json = "{\"_class_name\": \"WanModel\", \"_diffusers_version\": \"0.30.0\", \"dim\": 1536, \"eps\": 1e-06,"
                + " \"ffn_dim\": 8960, \"freq_dim\": 256, \"in_dim\": 16, \"model_type\": \"t2v\", \"num_heads\": 12,"
                + " \"num_layers\": 30, \"out_dim\": 16, \"text_len\": 512}";
        DitConfig c = DitConfig.fromJson(new ObjectMapper().readTree(json));
        assertEquals(DitConfig.WAN_1_3B, c);
        assertEquals(128, c.headDim());
        assertEquals(22, c.ropeTemporalPairs());
        assertEquals(21, c.ropeSpatialPairs());
        assertEquals(1560, c.frameSeqLen(60, 104));
        assertEquals(64, c.headOutDim());
        long params = c.parameterCount();
        assertTrue(params > 1_400_000_000L && params < 1_450_000_000L, "1.3B parameter count " + params);
    }

    @Test
    void invalidConfigsAreRefusedWithTheKeyNamed() {
        var m = new ObjectMapper();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DitConfig.fromJson(m.readTree("{\"dim\": 40, \"ffn_dim\": 96, \"num_heads\": 3, \"num_layers\": 2}")));
        assertTrue(e.getMessage().contains("num_heads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DitConfig.fromJson(m.readTree("{\"ffn_dim\": 96, \"num_heads\": 2, \"num_layers\": 2}")));
        assertTrue(e.getMessage().contains("'dim'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DitConfig.fromJson(m.readTree(
                "{\"dim\": 40, \"ffn_dim\": 96, \"num_heads\": 2, \"num_layers\": 2, \"patch_size\": [2, 2, 2]}")));
        assertTrue(e.getMessage().contains("patch_size"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DitConfig.fromJson(m.readTree(
                "{\"dim\": 8, \"ffn_dim\": 96, \"num_heads\": 2, \"num_layers\": 2}")));
        assertTrue(e.getMessage().contains("head_dim"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DitConfig.preset("7b"));
    }
}

use ionworks::Client;
use ionworks::types::PipelineConfig;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // IONWORKS_API_KEY (or IONWORKS_API_TOKEN), IONWORKS_API_URL if not the default.
    let client = Client::from_env()?;
    let elements = json!({
        "data": {"element_type": "entry", "values": {"Negative electrode capacity [A.h]": 5.0}}
    });
    let config = PipelineConfig::builder()
        .project_id(std::env::var("IONWORKS_PROJECT_ID")?)
        .name(Some("first pipeline".to_string()))
        .elements(elements.as_object().cloned().unwrap_or_default());
    // Create the pipeline, follow it to its end, read each element's result.
    let run = client.run_pipeline(config).await?;
    println!("pipeline {} is {}", run.pipeline.id, run.pipeline.status);
    for (name, result) in &run.result.element_results {
        println!("{name}: {result}");
    }
    Ok(())
}
